package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.Rule;
import org.junit.Test;

import rocker.api.PreparedRocker;
import rocker.api.RockerCaller;
import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.api.RockerInfo;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.testsupport.Images;
import rocker.testsupport.KernelView;

/**
 * Rockers built to be entered (the C library's ROCKER_enter_rocker, docs/protocol.md PREPARE/STARTED): no
 * app is started, a process of the caller's joins (here: nsenter), and the engine records it, or tears
 * the rocker down.
 */
public class PreparedRockerTest {
    @Rule
    public final EngineFixture fx = new EngineFixture();

    private RockerRequest request(String data) throws Exception {
        return request(data, RockerRequest.builder());
    }

    private RockerRequest request(String data, RockerRequest.Builder extra) throws Exception {
        Path img = Images.build(fx.work, "enter-" + data, Map.of("hello.txt", "hi\n"));
        RockerRequest base = fx.request(img, data, "/var").build();
        return extra.appId(base.appId()).uid(base.uid()).gid(base.gid()).pkgPath(base.pkgPath()).execDir(base.execDir())
                .dataDir(base.dataDir()).overlayDirs(base.overlayDirs()).build();
    }

    private static RockerResult ready(PreparedRocker p) {
        assertTrue(p.toString(), p.result().isSuccess());
        return p.result();
    }

    /** A process in the rocker's namespaces (what the C library's helper makes): prints /proc/1/comm, then sleeps. */
    private static Process join(int guardPid) throws Exception {
        return new ProcessBuilder("nsenter", "-t", Integer.toString(guardPid), "-m", "-p", "-u", "-i", "--",
                "/bin/sh", "-c", "cat /proc/1/comm; exec sleep 100").redirectErrorStream(true).start();
    }

    /** The host pid of nsenter's child (it forks to enter the pid namespace). */
    private static int child(Process nsenter) throws Exception {
        for (int i = 0; i < 500; i++) {
            var c = nsenter.toHandle().children().findFirst();
            if (c.isPresent()) return (int) c.get().pid();
            Thread.sleep(10);
        }
        throw new AssertionError("nsenter started no child");
    }

    @Test
    public void aPreparedRockerIsEnteredByTheCallersProcess() throws Exception {
        PreparedRocker p = fx.engine.prepare(request("e"), RockerCaller.engine());
        RockerResult r = ready(p);
        assertEquals("no app yet", 0, r.appPid());
        assertNotNull("Rocker's default filter", p.seccompFilter());
        assertEquals(0, p.seccompFilter().length % 8);
        assertFalse(p.cgroupProcs().isEmpty());
        for (String procs : p.cgroupProcs()) {
            assertTrue(procs, procs.endsWith("/" + r.guardName() + "/cgroup.procs"));
            assertTrue("the guard is in " + procs, Files.readAllLines(Path.of(procs)).contains(Integer.toString(r.guardPid())));
        }
        assertTrue("not listed before it is entered", fx.engine.list().isEmpty());

        Process joined = join(r.guardPid());
        try (BufferedReader out = new BufferedReader(new InputStreamReader(joined.getInputStream(), StandardCharsets.UTF_8))) {
            assertEquals("the rocker's own /proc, with its guard as PID 1", r.guardName(), out.readLine());
            int app = child(joined);
            RockerResult s = fx.engine.started(r.guardName(), app);
            assertEquals(s.toString(), RockerError.SUCCESS, s.error());
            assertEquals(app, s.appPid());
            assertEquals(r.guardPid(), s.guardPid());
            List<RockerInfo> listed = fx.engine.list();
            assertEquals(1, listed.size());
            assertEquals(app, listed.get(0).appPid());
            try {
                fx.engine.waitForApp(r.guardName(), Duration.ofMillis(10));
                fail("an entered rocker's app is its caller's child");
            } catch (RockerException e) {
                assertEquals(RockerError.SYS, e.error());
                assertTrue(e.getMessage(), e.getMessage().endsWith("its exit status is the caller's to read (waitpid)"));
            }
            assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
            assertTrue("destroy ends the entered process too", joined.waitFor(10, TimeUnit.SECONDS));
        } finally {
            joined.destroyForcibly().waitFor();
        }
    }

    @Test
    public void aStartedProcessOutsideTheRockerTearsItDown() throws Exception {
        RockerResult r = ready(fx.engine.prepare(request("o"), RockerCaller.engine()));
        int self = KernelView.self();
        RockerResult s = fx.engine.started(r.guardName(), self);
        assertEquals(s.toString(), RockerError.ENTER_ROCKER_FAILED, s.error());
        assertEquals("app_pid '" + self + "': is not a live process in the pid namespace of rocker " + r.guardName(), s.message());
        assertTrue("the guard is gone", KernelView.eventually(EngineFixture.SETTLE, () -> !KernelView.alive(r.guardPid())));
        assertTrue(fx.engine.list().isEmpty());
        RockerResult again = fx.engine.started(r.guardName(), self);
        assertEquals(RockerError.ENTER_ROCKER_FAILED, again.error());
        assertEquals("guard_name '" + r.guardName() + "': no rocker of this engine waits to be entered", again.message());
        RockerResult guard = fx.engine.started(ready(fx.engine.prepare(request("g"), RockerCaller.engine())).guardName(), r.guardPid());
        assertEquals("its guard is not its app", RockerError.ENTER_ROCKER_FAILED, guard.error());
    }

    @Test
    public void anAbandonedRockerIsTornDown() throws Exception {
        RockerResult r = ready(fx.engine.prepare(request("a"), RockerCaller.engine()));
        assertEquals(RockerError.SUCCESS, fx.engine.abandon(r.guardName()).error());
        assertTrue(KernelView.eventually(EngineFixture.SETTLE, () -> !KernelView.alive(r.guardPid())));
        assertEquals(RockerError.PARAM_INVALID, fx.engine.abandon(r.guardName()).error());
    }

    @Test
    public void onlyRootEntersAndNothingIsBuiltForOthers() throws Exception {
        PreparedRocker p = fx.engine.prepare(request("u"), RockerCaller.user(1000, 1000, List.of(), 0));
        assertEquals(RockerError.ENTER_ROCKER_FAILED, p.result().error());
        assertTrue(p.result().message(), p.result().message().startsWith("permission denied (EPERM): only root can enter a rocker"));
        assertFalse("no data dir made", Files.exists(fx.work.resolve("data-u")));
        assertTrue(KernelView.rockerProcessesMentioning(fx.stateDir.toString()).isEmpty());
    }

    @Test
    public void whatAnEnteredRockerCannotHonourIsRefusedByName() throws Exception {
        PreparedRocker rm = fx.engine.prepare(request("rm", RockerRequest.builder().removeOnExit(true)), RockerCaller.engine());
        assertEquals(RockerError.PARAM_INVALID, rm.result().error());
        assertTrue(rm.result().message(), rm.result().message().startsWith("remove_on_exit 'true': "));
        PreparedRocker userns = fx.engine.prepare(request("ns", RockerRequest.builder().userNamespace(true)), RockerCaller.engine());
        assertEquals(RockerError.PARAM_INVALID, userns.result().error());
        assertTrue(userns.result().message(), userns.result().message().startsWith("userns 'true': "));
        RockerRequest good = request("bad");
        PreparedRocker bad = fx.engine.prepare(RockerRequest.builder().appId(good.appId()).uid(-1).gid(good.gid())
                .pkgPath(good.pkgPath()).execDir(good.execDir()).dataDir(good.dataDir()).build(), RockerCaller.engine());
        assertEquals(RockerError.PARAM_INVALID, bad.result().error());
        assertTrue(bad.result().message(), bad.result().message().startsWith("uid '-1'"));
        assertTrue(fx.engine.list().isEmpty());
    }

    @Test
    public void anUnconfinedRockerHasNoFilter() throws Exception {
        PreparedRocker p = fx.engine.prepare(request("x", RockerRequest.builder().seccomp(RockerRequest.SECCOMP_UNCONFINED)),
                RockerCaller.engine());
        ready(p);
        assertNull(p.seccompFilter());
        fx.engine.abandon(p.result().guardName());
    }

    @Test
    public void anEnteredRockerOutlivesItsEngineAndIsAdopted() throws Exception {
        RockerEngine first = fx.engine(() -> System.getProperty("rocker.guard"), 0);
        RockerResult pending = ready(first.prepare(request("p"), RockerCaller.engine()));
        RockerResult r = ready(first.prepare(request("q"), RockerCaller.engine()));
        Process joined = join(r.guardPid());
        try {
            assertEquals(RockerError.SUCCESS, first.started(r.guardName(), child(joined)).error());
            first.close();
            assertTrue("what was never entered goes with its engine",
                    KernelView.eventually(EngineFixture.SETTLE, () -> !KernelView.alive(pending.guardPid())));
            assertTrue("an entered guard keeps guarding", KernelView.alive(r.guardPid()));
            try (RockerEngine next = fx.engine(() -> System.getProperty("rocker.guard"), 0)) {
                List<RockerInfo> listed = next.list();
                assertEquals(1, listed.size());
                assertEquals(r.guardName(), listed.get(0).guardName());
                assertEquals(RockerError.SUCCESS, next.destroy(r.guardName()).error());
            }
            assertTrue(joined.waitFor(10, TimeUnit.SECONDS));
        } finally {
            joined.destroyForcibly().waitFor();
        }
    }
}
