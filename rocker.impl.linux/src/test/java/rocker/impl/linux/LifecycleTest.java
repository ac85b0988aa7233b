package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.Rule;
import org.junit.Test;

import rocker.api.RockerApp;
import rocker.api.RockerError;
import rocker.api.RockerInfo;
import rocker.api.RockerResult;
import rocker.api.Stdio;
import rocker.testsupport.Apps;
import rocker.testsupport.Images;
import rocker.testsupport.KernelView;

/** Guards reap, rockers end completely, and the engine leaks nothing over many rockers. */
public class LifecycleTest {
    @Rule
    public final EngineFixture fx = new EngineFixture();

    private Path image() throws Exception {
        return Images.build(fx.work, "life", Map.of(
                "orphans.sh", "#!/bin/sh\nfor i in 1 2 3; do (sleep 0.2 &) ; done\necho ready\nexec sleep 1000\n",
                "write.sh", "#!/bin/sh\necho kept > /var/tmp/rocker-kept\nexec sleep 1000\n",
                "exit.sh", "#!/bin/sh\nexit $1\n"));
    }

    private RockerResult run(Path image, String data, Stdio out, String... cmd) {
        String exec = fx.work.resolve("exec-" + data).toString();
        String[] argv = cmd.clone();
        argv[1] = exec + "/" + cmd[1];
        RockerResult r = fx.engine.enterRocker(fx.request(image, data, "/var").build(),
                RockerApp.builder().command(argv).stdout(out).build());
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        return r;
    }

    /**
     * A script without a "#!" line runs by /bin/sh, named by its path or found through PATH, as glibc's
     * execvp has it, whatever libc the guard is built with (musl's execvp does not: the x86-64 guard's).
     */
    @Test
    public void aScriptWithoutAnInterpreterLineRunsByTheShell() throws Exception {
        Path img = Images.build(fx.work, "plain", Map.of("plain", "echo plain \"$@\"\nexec sleep 1000\n"));
        Path byPath = fx.work.resolve("by-path.txt");
        RockerResult a = fx.engine.enterRocker(fx.request(img, "pa", "/var").build(), RockerApp.builder()
                .command(fx.work.resolve("exec-pa") + "/plain", "by", "path").stdout(Stdio.file(byPath.toString())).build());
        assertEquals(a.toString(), RockerError.SUCCESS, a.error());
        assertEquals("plain by path\n", Apps.awaitOutput(byPath, "plain by path"));

        Path throughPath = fx.work.resolve("through-path.txt");
        RockerResult b = fx.engine.enterRocker(fx.request(img, "pb", "/var").build(), RockerApp.builder()
                .command("plain", "through", "PATH").env("PATH", "/nonexistent:" + fx.work.resolve("exec-pb"))
                .stdout(Stdio.file(throughPath.toString())).build());
        assertEquals(b.toString(), RockerError.SUCCESS, b.error());
        assertEquals("plain through PATH\n", Apps.awaitOutput(throughPath, "plain through PATH"));

        RockerResult c = fx.engine.enterRocker(fx.request(img, "pc", "/var").build(), RockerApp.builder()
                .command("no-such-app").env("PATH", fx.work.resolve("exec-pc").toString()).build());
        assertEquals(c.toString(), RockerError.APP_EXEC_FAILED, c.error());
        assertTrue(c.message(), c.message().contains("ENOENT") || c.message().contains("No such file"));
    }

    @Test
    public void guardReapsOrphanedGrandchildren() throws Exception {
        Path out = fx.work.resolve("orphans.txt");
        RockerResult r = run(image(), "z", Stdio.file(out.toString()), "/bin/sh", "orphans.sh");
        Apps.awaitOutput(out, "ready");
        String ns = KernelView.nsLink(r.guardPid(), "pid");
        Thread.sleep(600); // the orphans end after 0.2 s
        assertTrue("no zombie in the rocker", KernelView.eventually(EngineFixture.SETTLE, () -> KernelView.processesIn(ns).stream()
                .allMatch(p -> ProcStat.read(p).map(s -> s.state != 'Z').orElse(true))));
        assertEquals("guard and app only", 2, KernelView.processesIn(ns).size());
    }

    @Test
    public void destroyRemovesEverythingButTheData() throws Exception {
        Path img = image();
        RockerResult r = run(img, "d", Stdio.discard(), "/bin/sh", "write.sh");
        Path kept = fx.work.resolve("data-d/upper/var/tmp/rocker-kept");
        assertTrue(KernelView.eventually(EngineFixture.SETTLE, () -> Files.exists(kept)));
        String ns = KernelView.nsLink(r.guardPid(), "pid");
        assertEquals(1, fx.engine.list().size());

        RockerResult d = fx.engine.destroy(r.guardName());
        assertEquals(d.toString(), RockerError.SUCCESS, d.error());
        assertTrue("no process of the rocker", KernelView.eventually(EngineFixture.SETTLE, () -> KernelView.processesIn(ns).isEmpty()));
        assertFalse(KernelView.alive(r.appPid()));
        assertTrue("no loop device on the image", KernelView.eventually(EngineFixture.SETTLE,
                () -> !KernelView.loopBackingFiles().toString().contains(img.toString())));
        assertEquals("kept\n", Files.readString(kept));
        assertTrue(fx.engine.list().isEmpty());
        assertEquals(RockerError.PARAM_INVALID, fx.engine.destroy(r.guardName()).error());
    }

    @Test
    public void destroyChecksTheNameSoAReusedPidIsNeverHit() throws Exception {
        RockerResult r = run(image(), "n", Stdio.discard(), "/bin/sh", "orphans.sh");
        RockerResult wrong = fx.engine.destroy(r.guardPid(), "rkaaaaaaaaaaaaa");
        assertEquals(RockerError.GET_GUARDNAME_FAILED, wrong.error());
        assertTrue(KernelView.alive(r.guardPid()));
        int self = (int) ProcessHandle.current().pid();
        RockerResult notAGuard = fx.engine.destroy(self, ProcStat.read(self).get().name);
        assertEquals(RockerError.PARAM_INVALID, notAGuard.error());
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardPid(), r.guardName()).error());
    }

    @Test
    public void exitStatusAndRemoveOnExit() throws Exception {
        Path img = image();
        String exec = fx.work.resolve("exec-x").toString();
        RockerResult r = fx.engine.enterRocker(fx.request(img, "x").removeOnExit(true).build(),
                RockerApp.of("/bin/sh", exec + "/exit.sh", "3"));
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        assertEquals(3, fx.engine.waitForApp(r.guardName(), Duration.ofSeconds(10)).getAsInt());
        assertTrue("--rm: the rocker ends with its app", KernelView.eventually(EngineFixture.SETTLE, () -> !KernelView.alive(r.guardPid())));
        assertTrue(KernelView.eventually(EngineFixture.SETTLE, () -> fx.engine.list().isEmpty()));

        RockerResult kept = run(img, "y", Stdio.discard(), "/bin/sh", "exit.sh", "0");
        assertEquals(0, fx.engine.waitForApp(kept.guardName(), Duration.ofSeconds(10)).getAsInt());
        assertTrue("without --rm the rocker outlives its app", KernelView.alive(kept.guardPid()));
        assertEquals(1, fx.engine.list().size());
    }

    @Test
    public void aNewEngineAdoptsLiveRockers() throws Exception {
        RockerResult r = run(image(), "adopt", Stdio.discard(), "/bin/sh", "orphans.sh");
        fx.engine.close();
        fx.engine = fx.engine(() -> System.getProperty("rocker.guard"), 0);
        List<RockerInfo> live = fx.engine.list();
        assertEquals(1, live.size());
        assertEquals(r.guardName(), live.get(0).guardName());
        assertEquals(r.guardPid(), live.get(0).guardPid());
        assertEquals(7, live.get(0).appId());
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
        assertTrue(KernelView.eventually(EngineFixture.SETTLE, () -> !KernelView.alive(r.guardPid())));
    }

    @Test
    public void guardNamesAreReadFromProcStat() throws Exception {
        RockerResult r = run(image(), "g", Stdio.discard(), "/bin/sh", "orphans.sh");
        RockerResult g = fx.engine.getGuardName(r.guardPid());
        assertEquals(r.guardName(), g.guardName());
        assertTrue(r.guardName().length() <= 15);
        assertEquals(RockerError.GET_GUARDNAME_FAILED, fx.engine.getGuardName(999_999_999).error());
        ProcStat odd = ProcStat.parse(5, "5 (a) b (c) S 1 5 5 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 4242 0 0");
        assertEquals("a) b (c", odd.name);
        assertEquals(4242L, odd.startTime);
        assertEquals(1, odd.ppid);
    }

    @Test
    public void hundredCyclesLeakNothing() throws Exception {
        Path img = image();
        // warm up once (loads JNR, starts the watcher)
        for (int i = 0; i < 3; i++) {
            fx.engine.destroy(run(img, "c", Stdio.log(), "/bin/sh", "exit.sh", "0").guardName());
        }
        int fds = KernelView.openFds();
        String before = KernelView.fdTargets();
        long threads = KernelView.threads();
        for (int i = 0; i < 100; i++) {
            RockerResult r = run(img, "c", Stdio.log(), "/bin/sh", "exit.sh", "0");
            assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
        }
        assertTrue("fds: " + before + " -> " + KernelView.fdTargets(), KernelView.eventually(EngineFixture.SETTLE, () -> KernelView.openFds() <= fds));
        assertTrue("threads: " + threads + " -> " + KernelView.threads(), KernelView.eventually(EngineFixture.SETTLE, () -> KernelView.threads() <= threads));
        assertTrue(fx.engine.list().isEmpty());
    }
}
