package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.Rule;
import org.junit.Test;

import rocker.api.NetworkMode;
import rocker.api.RockerApp;
import rocker.api.RockerError;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.testsupport.Images;
import rocker.testsupport.KernelView;

/**
 * Every step of the guard fails once (ROCKER_GUARD_FAULT, set by a wrapper around the real guard):
 * each failure gets its seed code and a message naming the step, and leaves no process, no loop
 * device, no mount and no data dir behind.
 */
public class FaultInjectionTest {
    @Rule
    public final EngineFixture fx = new EngineFixture();

    private void inject(GuardStep step, RockerError expected, boolean userns, NetworkMode net) throws Exception {
        inject(step, expected, userns, net, 0);
    }

    /**
     * With {@code spares}, a first request (which fails the same way) fills the pool, and the request checked
     * claims a spare: its app's process is forked ahead by the spare's guard ("H t"), where some steps run
     * before the request comes.
     */
    private void inject(GuardStep step, RockerError expected, boolean userns, NetworkMode net, int spares) throws Exception {
        Path image = fx.work.resolve("fault.squashfs");
        if (!Files.exists(image)) {
            image = Images.build(fx.work, "fault", Map.of("run.sh", "#!/bin/sh\nexec sleep 1000\n"));
        }
        Path wrapper = fx.work.resolve("guard-fault-" + step.wireName());
        Files.writeString(wrapper, "#!/bin/sh\nROCKER_GUARD_FAULT=" + step.wireName() + " exec " + System.getProperty("rocker.guard") + " \"$@\"\n");
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
        fx.engine.close();
        fx.engine = fx.engine(wrapper::toString, spares);
        if (spares > 0) {
            RockerRequest first = fx.request(image, "first-" + step.wireName(), "/etc").build();
            assertEquals(step + ": the first request", expected,
                    fx.engine.enterRocker(first, RockerApp.of("/bin/sh", first.execDir() + "/run.sh")).error());
            assertTrue(step + ": a spare waits", KernelView.eventually(EngineFixture.SETTLE, () -> fx.engine.pool.count("-") > 0));
        }

        String data = "d-" + step.wireName();
        RockerRequest request = fx.request(image, data, "/etc", "/var").userNamespace(userns).network(net).build();
        int claimed = GuardPool.CLAIMED.get();
        RockerResult r = fx.engine.enterRocker(request, RockerApp.of("/bin/sh", request.execDir() + "/run.sh"));
        if (spares > 0) {
            assertEquals(step + ": the request claimed a spare", claimed + 1, GuardPool.CLAIMED.get());
            fx.engine.close(); // its spares end with it
            // the image's holder keeps its record (it outlives engines); no spare's, building or other rocker's is left
            try (var records = Files.list(fx.stateDir.resolve("rockers"))) {
                List<String> left = records.filter(p -> !isHolder(p)).map(p -> p.getFileName().toString()).collect(Collectors.toList());
                assertEquals(step + ": records left", List.of(), left);
            }
        }

        assertEquals(step + ": " + r, expected, r.error());
        assertTrue(step + ": " + r.message(), r.message().contains("could not " + step.text));
        assertTrue(step + ": " + r.message(), r.message().contains("errno 5 "));
        assertEquals("", r.guardName());
        assertTrue(fx.engine.list().isEmpty());
        assertTrue(step + ": no keeper left", KernelView.eventually(EngineFixture.SETTLE, () -> keepersOfThisJvm() == 0));
        assertTrue(step + ": no loop device left", KernelView.eventually(EngineFixture.SETTLE, () -> fx.ourLoops().isEmpty()));
        assertFalse(step + ": the data dir made for it is gone", Files.exists(Path.of(request.dataDir())));
    }

    private static boolean isHolder(Path record) {
        try {
            return Files.readString(record).contains("state=HOLDER");
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static long keepersOfThisJvm() throws Exception {
        int self = (int) ProcessHandle.current().pid();
        try (var s = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            long n = 0;
            for (Path p : s) {
                int pid = Integer.parseInt(p.getFileName().toString());
                if (ProcStat.live(pid).filter(st -> st.ppid == self && st.name.equals("rocker-keeper")).isPresent()) n++;
            }
            return n;
        }
    }

    @Test
    public void namespaceAndGuardStepsFailTheBuild() throws Exception {
        for (GuardStep s : new GuardStep[] {GuardStep.UNSHARE, GuardStep.PRIVATE, GuardStep.FORK, GuardStep.NAME,
                GuardStep.HOSTNAME, GuardStep.PROC, GuardStep.PROC_RO, GuardStep.PROC_NULL, GuardStep.PROC_MASK,
                GuardStep.MQUEUE, GuardStep.SIGNALS}) {
            inject(s, RockerError.BUILD_ROCKER_FAILED, false, NetworkMode.HOST);
        }
        inject(GuardStep.LOOPBACK, RockerError.BUILD_ROCKER_FAILED, false, NetworkMode.NONE);
    }

    @Test
    public void identityStepsFailTheEntry() throws Exception {
        for (GuardStep s : new GuardStep[] {GuardStep.SETSID, GuardStep.REPORT, GuardStep.GROUPS, GuardStep.GID,
                GuardStep.UID, GuardStep.CAPS, GuardStep.NNP, GuardStep.CHDIR, GuardStep.SECCOMP, GuardStep.LOG,
                GuardStep.OOM}) {
            inject(s, RockerError.ENTER_ROCKER_FAILED, false, NetworkMode.HOST);
        }
        inject(GuardStep.USERNS, RockerError.ENTER_ROCKER_FAILED, true, NetworkMode.HOST);
        inject(GuardStep.IDMAP, RockerError.ENTER_ROCKER_FAILED, true, NetworkMode.HOST);
    }

    /**
     * The same steps with spares: the request claims a spare whose guard forks the app's process ahead ("H t").
     * A step that process takes before the request (its session, its bounding set, its filter) makes it end
     * early, and the guard forks the app as before, which fails the same step; the others fail after the
     * request. Either way: the same answer, nothing left.
     */
    @Test
    public void identityStepsOfAnAppForkedAheadFailTheEntry() throws Exception {
        for (GuardStep s : new GuardStep[] {GuardStep.SETSID, GuardStep.CAPS, GuardStep.SECCOMP, GuardStep.GROUPS,
                GuardStep.UID, GuardStep.NNP, GuardStep.CHDIR, GuardStep.OOM}) {
            inject(s, RockerError.ENTER_ROCKER_FAILED, false, NetworkMode.HOST, 2);
        }
    }

    @Test
    public void theExecFailsTheApp() throws Exception {
        inject(GuardStep.EXEC, RockerError.APP_EXEC_FAILED, false, NetworkMode.HOST);
    }
}
