package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;

import rocker.api.RockerApp;
import rocker.api.RockerError;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.testsupport.Images;

/**
 * The app's process forked by a spare guard ahead of need ("B" once the spare is in its cgroups, used
 * with "H t", rocker-guard.c): before any request it resets its signals, takes a session and installs
 * the default filter; with the request it does the rest. The app must end up exactly as a freshly forked one: identity, no capabilities,
 * no_new_privs, the filter, its session, cwd, stdio and logs, exit status, and an exec failure's code.
 * Requests that cannot use it (a user namespace, another filter) get a freshly forked app.
 */
public class ForkedAheadTest {
    @Rule
    public final EngineFixture fx = new EngineFixture();

    private static final String PROBE = String.join("; ",
            "echo id $(id -u) $(id -g) $(id -G)",
            "grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status | tr -s '\\t' ' '",
            "echo sid $(($(cut -d' ' -f6 /proc/self/stat) == $$))",
            "echo cwd $(pwd)",
            "unshare -m true 2>/dev/null && echo unshare allowed || echo unshare refused",
            "touch /rocker-probe-$$ 2>&1 | sed 's/.*: //'",
            "echo t > /tmp/rocker-probe && echo tmp ok",
            "echo err >&2",
            "exit 7");

    private Path image;

    @Before
    public void spares() throws Exception {
        fx.engine.close();
        fx.engine = fx.engine(() -> System.getProperty("rocker.guard"), 2);
        image = Images.build(fx.work, "ahead", Map.of("marker", "x\n"));
        // spares come once the engine has built a rocker
        RockerResult first = fx.engine.enterRocker(fx.request(image, "first").build(), RockerApp.of("/bin/true"));
        assertEquals(first.toString(), RockerError.SUCCESS, first.error());
        fx.engine.waitForApp(first.guardName(), Duration.ofSeconds(20));
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(first.guardName()).error());
        Thread.sleep(300); // the pool refills in the background
    }

    private String run(RockerRequest request, int expectedStatus) throws Exception {
        RockerResult r = fx.engine.enterRocker(request, RockerApp.of("/bin/sh", "-c", PROBE));
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        assertEquals(OptionalInt.of(expectedStatus), fx.engine.waitForApp(r.guardName(), Duration.ofSeconds(20)));
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
        return Files.readString(Path.of(request.dataDir(), "log/stdout.log")) + "stderr: "
                + Files.readString(Path.of(request.dataDir(), "log/stderr.log"));
    }

    @Test
    public void anAppForkedAheadIsExactlyAFreshlyForkedOne() throws Exception {
        int before = AppStarter.FORKED_AHEAD.get();
        RockerRequest request = fx.request(image, "ahead").uid(1000).gid(1000).groups(List.of(1001, 1002))
                .execDir("/opt/rocker-test-ahead").build();
        String out = run(request, 7);
        assertEquals("the spare forked the app ahead", before + 1, AppStarter.FORKED_AHEAD.get());
        assertEquals("id 1000 1000 1000 1001 1002\n"
                + "CapPrm: 0000000000000000\nCapEff: 0000000000000000\nCapBnd: 0000000000000000\n"
                + "NoNewPrivs: 1\nSeccomp: 2\n"
                + "sid 1\ncwd /opt/rocker-test-ahead\nunshare refused\nRead-only file system\ntmp ok\nstderr: err\n", out);
    }

    /**
     * The template sets the app up while its guard mounts the rocker's /proc, and resolves the app's cwd only
     * after that: a cwd in /proc is the rocker's own procfs (the app's pid there is its pid in the rocker),
     * never the host's.
     */
    @Test
    public void theCwdOfAnAppForkedAheadIsResolvedInTheRockersOwnProc() throws Exception {
        int before = AppStarter.FORKED_AHEAD.get();
        RockerRequest request = fx.request(image, "procwd").uid(1000).gid(1000).execDir("/opt/rocker-test-procwd").build();
        RockerResult r = fx.engine.enterRocker(request, RockerApp.builder()
                .command("/bin/sh", "-c", "read pid rest < stat; echo \"$pid $$\"; echo $(ls .. | grep -c '^[0-9]')").workDir("/proc/self").build());
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        assertEquals(OptionalInt.of(0), fx.engine.waitForApp(r.guardName(), Duration.ofSeconds(20)));
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
        assertEquals("the spare forked the app ahead", before + 1, AppStarter.FORKED_AHEAD.get());
        String[] out = Files.readString(Path.of(request.dataDir(), "log/stdout.log")).split("\n");
        String[] pids = out[0].split(" ");
        assertEquals("the stat of the cwd is the app's own, by its pid in the rocker: " + out[0], pids[1], pids[0]);
        assertTrue("the cwd's procfs shows the rocker's few processes, not the host's: " + out[1], Integer.parseInt(out[1]) <= 10);
    }

    /** Unbounded stdio (streamed here, no log files): the template gets the pipes and the request without a log dir. */
    @Test
    public void streamedOutputOfAnAppForkedAhead() throws Exception {
        int before = AppStarter.FORKED_AHEAD.get();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        RockerRequest request = fx.request(image, "streamed").uid(1000).gid(1000).execDir("/opt/rocker-test-streamed").build();
        RockerResult r = fx.engine.enterRocker(request, RockerApp.builder().command("/bin/sh", "-c", "echo out; echo err >&2; exit 3")
                .stdout(rocker.api.Stdio.stream(out)).stderr(rocker.api.Stdio.stream(err)).build());
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        assertEquals(OptionalInt.of(3), fx.engine.waitForApp(r.guardName(), Duration.ofSeconds(20)));
        assertTrue(out.toString(), rocker.testsupport.KernelView.eventually(EngineFixture.SETTLE,
                () -> out.toString().equals("out\n") && err.toString().equals("err\n")));
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
        assertEquals("the spare forked the app ahead", before + 1, AppStarter.FORKED_AHEAD.get());
    }

    @Test
    public void aRequestThatCannotUseItGetsAFreshlyForkedApp() throws Exception {
        int before = AppStarter.FORKED_AHEAD.get();
        RockerRequest unconfined = fx.request(image, "unconfined").uid(0).gid(0).seccomp(RockerRequest.SECCOMP_UNCONFINED)
                .execDir("/opt/rocker-test-unconfined").build();
        String out = run(unconfined, 7);
        assertTrue(out, out.contains("Seccomp: 0\n") && out.contains("NoNewPrivs: 1\n") && out.contains("sid 1\n"));
        RockerRequest userns = fx.request(image, "userns").uid(1000).gid(1000).userNamespace(true)
                .execDir("/opt/rocker-test-userns").build();
        out = run(userns, 7);
        assertTrue(out, out.startsWith("id 0 0") && out.contains("Seccomp: 2\n"));
        assertEquals("neither was forked ahead", before, AppStarter.FORKED_AHEAD.get());
    }

    @Test
    public void aSpareForksTheAppsProcessBeforeAnyRequest() throws Exception {
        // the spares of this engine: guards named rocker-spare under keepers that are this JVM's children
        long me = ProcessHandle.current().pid();
        assertTrue("the pool has its spares", rocker.testsupport.KernelView.eventually(EngineFixture.SETTLE, () -> {
            List<Long> guards = spareGuards(me);
            return guards.size() == 2 && guards.stream().allMatch(g -> childrenNamed(g, GuardPool.SPARE_NAME) == 1);
        }));
    }

    @Test
    public void aRequestThatCannotUseItFitsTheLeastPidsLimit() throws Exception {
        // the spare's process forked ahead is killed and reaped at the hand-over, before the app is forked: with
        // pids 3 (keeper, guard, app) a process left over would make the fork fail with EAGAIN
        long me = ProcessHandle.current().pid();
        assertTrue("the pool has its spares", rocker.testsupport.KernelView.eventually(EngineFixture.SETTLE,
                () -> spareGuards(me).size() == 2));
        int before = AppStarter.FORKED_AHEAD.get();
        int claimed = GuardPool.CLAIMED.get();
        RockerRequest request = fx.request(image, "leastpids").uid(0).gid(0).pidsLimit(3)
                .seccomp(RockerRequest.SECCOMP_UNCONFINED).build();
        RockerResult r = fx.engine.enterRocker(request, RockerApp.of("/bin/sh", "-c", "exit 5"));
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        assertEquals(OptionalInt.of(5), fx.engine.waitForApp(r.guardName(), Duration.ofSeconds(20)));
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
        assertEquals("a spare was claimed", claimed + 1, GuardPool.CLAIMED.get());
        assertEquals("it was not forked ahead", before, AppStarter.FORKED_AHEAD.get());
    }

    private static List<Long> spareGuards(long parent) {
        return ProcessHandle.allProcesses().filter(p -> p.parent().map(k -> k.pid() == parent).orElse(false))
                .filter(k -> comm(k.pid()).equals("rocker-keeper"))
                .flatMap(ProcessHandle::children).map(ProcessHandle::pid)
                .filter(g -> comm(g).equals(GuardPool.SPARE_NAME)).collect(java.util.stream.Collectors.toList());
    }

    private static long childrenNamed(long pid, String name) {
        return ProcessHandle.of(pid).map(p -> p.children().filter(c -> comm(c.pid()).equals(name)).count()).orElse(0L);
    }

    private static String comm(long pid) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), "comm")).trim();
        } catch (java.io.IOException e) {
            return "";
        }
    }

    @Test
    public void anExecFailureOfAnAppForkedAheadIsReportedAsEver() throws Exception {
        RockerRequest request = fx.request(image, "noexec").uid(1000).gid(1000).build();
        RockerResult r = fx.engine.enterRocker(request, RockerApp.of("/no/such/app"));
        assertEquals(r.toString(), RockerError.APP_EXEC_FAILED, r.error());
        assertTrue(r.message(), r.message().contains("'/no/such/app'"));
        assertEquals("", r.guardName());
        assertTrue(fx.engine.list().isEmpty());
    }
}
