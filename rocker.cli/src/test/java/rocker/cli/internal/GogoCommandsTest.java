package rocker.cli.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.junit.Assume.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import rocker.api.RockerRequest;
import rocker.api.SharedDir;
import rocker.client.testing.Requests;
import rocker.server.testing.FakeEngine;

/** The Gogo commands run the CLI into the session's System.out and turn failures into exceptions. */
public class GogoCommandsTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream saved;
    private PrintStream savedErr;

    @Before
    public void capture() {
        saved = System.out;
        savedErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    }

    @After
    public void restore() {
        System.setOut(saved);
        System.setErr(savedErr);
    }

    /** Gogo commands with {@code engine} as the local engine; the test is skipped unless it runs as root (--local needs root). */
    private static GogoCommands onLocal(FakeEngine engine) {
        GogoCommands gogo = new GogoCommands();
        gogo.bindLocal(engine);
        assumeTrue("--local needs root", "root".equals(System.getProperty("user.name")));
        return gogo;
    }

    /** {@code rocker:run} on the local engine with a package, exec and data dir, then {@code rest}. */
    private static String[] runArgs(String... rest) {
        List<String> args = new ArrayList<>(List.of("--local", "--pkg", "/tmp/a.squashfs", "--exec-dir", "/opt/a", "--data-dir", "/tmp/d"));
        args.addAll(List.of(rest));
        return args.toArray(new String[0]);
    }

    /** The command fails, as a Gogo command does: an exception that says {@code message}. */
    private static void assertExits(String message, Runnable command) {
        try {
            command.run();
            fail();
        } catch (IllegalStateException e) {
            assertEquals(message, e.getMessage());
        }
    }

    @Test
    public void listsThroughTheLocalEngineAndFailsLoudly() {
        FakeEngine engine = new FakeEngine();
        engine.adopt("rk-one", 321, Requests.valid(0, 0).build(), java.time.Instant.now());
        GogoCommands gogo = onLocal(engine);
        gogo.ls("--local", "--json");
        assertTrue(out.toString(StandardCharsets.UTF_8), out.toString(StandardCharsets.UTF_8).startsWith("[{\"guard_name\":\"rk-one\",\"guard_pid\":321"));
        assertExits("rocker:guardname exited with status 125", () -> gogo.guardname("not-a-pid"));
    }

    @Test
    public void aFrameworksEngineTakesNoStateDirFromACommand() throws java.io.IOException {
        FakeEngine engine = new FakeEngine();
        engine.adopt("rk-one", 321, Requests.valid(0, 0).build(), java.time.Instant.now());
        GogoCommands gogo = onLocal(engine);
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        System.setErr(new PrintStream(errors, true, StandardCharsets.UTF_8));
        java.nio.file.Path other = java.nio.file.Files.createTempDirectory(java.nio.file.Path.of("/tmp"), "rocker-state-");
        try {
            assertExits("rocker:ls exited with status 125", () -> gogo.ls("--local", "--state-dir", other.toString(), "--json"));
        } finally {
            java.nio.file.Files.delete(other);
        }
        assertEquals("rocker: param_invalid: --state-dir '" + other + "': only the command line's own engine takes one; this framework's engine"
                + " has its state dir configured (PID rocker.engine, stateDir)\n", errors.toString(StandardCharsets.UTF_8));
        assertEquals("nothing was listed", "", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    public void withoutSocketOrLocalTheyUseWhatTheFrameworkIsConfiguredWith() {
        GogoCommands gogo = new GogoCommands();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        assertExits("rocker:ls exited with status 125", () -> gogo.ls("--json"));
        assertEquals("rocker: sys: " + GogoCommands.NOTHING_CONFIGURED + "\n", err.toString(StandardCharsets.UTF_8));

        FakeEngine engine = new FakeEngine();
        engine.adopt("rk-local", 321, Requests.valid(0, 0).build(), java.time.Instant.now());
        gogo.bindLocal(engine);
        gogo.ls("--json");
        assertTrue(out.toString(StandardCharsets.UTF_8), out.toString(StandardCharsets.UTF_8).startsWith("[{\"guard_name\":\"rk-local\""));

        FakeEngine remote = new FakeEngine();
        remote.adopt("rk-remote", 654, Requests.valid(0, 0).build(), java.time.Instant.now());
        gogo.bindRemote(remote);
        out.reset();
        gogo.ls("--json");
        assertTrue(out.toString(StandardCharsets.UTF_8), out.toString(StandardCharsets.UTF_8).startsWith("[{\"guard_name\":\"rk-remote\""));
        gogo.unbindRemote(remote);
        out.reset();
        gogo.ls("--json");
        assertTrue(out.toString(StandardCharsets.UTF_8), out.toString(StandardCharsets.UTF_8).startsWith("[{\"guard_name\":\"rk-local\""));
    }

    @Test
    public void everyCommandHasItsHelpForGogo() throws Exception {
        for (String name : List.of("run", "ls", "stats", "kill", "guardname")) {
            java.lang.reflect.Method m = GogoCommands.class.getMethod(name, String[].class);
            assertTrue(name, m.getAnnotation(Descriptor.class) != null);
            assertTrue(name, m.getParameters()[0].getAnnotation(Descriptor.class) != null);
        }
    }

    @Test
    public void runTakesDevicesAndSharesLikeTheCommand() {
        FakeEngine engine = new FakeEngine();
        GogoCommands gogo = onLocal(engine);
        gogo.run(runArgs("--device", "/dev/ttyUSB0", "--device", "/dev/ttyACM0", "--share", "shared:ro", "--share=/srv/out", "--", "/bin/true"));
        RockerRequest r = engine.requests.get(0);
        assertEquals(List.of("/dev/ttyUSB0", "/dev/ttyACM0"), r.devices());
        // a relative dir is taken from the framework's working dir
        assertEquals(List.of(SharedDir.readOnly(Path.of("shared").toAbsolutePath().toString()), SharedDir.readWrite("/srv/out")),
                r.sharedDirs());
        assertExits("rocker:run exited with status 125", () -> gogo.run(runArgs("--device", "/tmp/tty", "--", "/bin/true")));
        assertEquals(1, engine.requests.size());
    }

    @Test
    public void runTakesSeccompLikeTheCommand() {
        FakeEngine engine = new FakeEngine();
        GogoCommands gogo = onLocal(engine);
        gogo.run(runArgs("--seccomp", "unconfined", "--", "/bin/true"));
        gogo.run(runArgs("--seccomp=profiles/app.json", "--", "/bin/true"));
        gogo.run(runArgs("--", "/bin/true"));
        assertEquals(RockerRequest.SECCOMP_UNCONFINED, engine.requests.get(0).seccomp());
        // a relative file is taken from the framework's working dir
        assertEquals(Path.of("profiles/app.json").toAbsolutePath().toString(), engine.requests.get(1).seccomp());
        assertEquals(null, engine.requests.get(2).seccomp());
        out.reset();
        gogo.ls("--local", "--json");
        String json = out.toString(StandardCharsets.UTF_8);
        assertEquals(json, 2, json.split("\"seccomp\":", -1).length - 1);
        assertTrue(json, json.contains("\"seccomp\":\"unconfined\""));
        assertExits("rocker:run exited with status 125", () -> gogo.run(runArgs("--seccomp", "", "--", "/bin/true")));
        assertEquals(3, engine.requests.size());
    }

    @Test
    public void runTakesLimitsAndStatsAndLsShowTheFigures() {
        FakeEngine engine = new FakeEngine();
        GogoCommands gogo = onLocal(engine);
        gogo.run(runArgs("--memory", "256M", "--pids", "64", "--cpus", "1.5", "--cpu-weight", "200", "--log-max", "2M", "--", "/bin/true"));
        RockerRequest r = engine.requests.get(0);
        assertEquals(256L << 20, r.memoryLimit());
        assertEquals(64, r.pidsLimit());
        assertEquals(1.5, r.cpus(), 0);
        assertEquals(200, r.cpuWeight());
        assertEquals(2L << 20, r.logLimit());
        engine.stats.put("rocker-fake-1", new rocker.api.RockerStats(3L << 20, 4L << 20, 2, 250_000_000L, 0));
        out.reset();
        gogo.stats("--local", "rocker-fake-1");
        assertEquals("rocker-fake-1\n  memory     3.0MiB (peak 4.0MiB)\n  pids       2\n  cpu time   0.250s\n  oom kills  0\n",
                out.toString(StandardCharsets.UTF_8));
        out.reset();
        gogo.stats("--local", "--json", "rocker-fake-1");
        assertEquals("{\"guard_name\":\"rocker-fake-1\",\"memory\":3145728,\"memory_peak\":4194304,\"pids\":2,\"cpu_ns\":250000000,"
                + "\"oom_kills\":0}\n", out.toString(StandardCharsets.UTF_8));
        out.reset();
        gogo.ls("--local");
        String table = out.toString(StandardCharsets.UTF_8);
        assertTrue(table, table.split("\n")[1].matches("rocker-fake-1 +10001 +0 +\\S+ +3\\.0MiB +2 +-  /tmp/a.squashfs"));
        out.reset();
        gogo.ls("--local", "--json");
        String json = out.toString(StandardCharsets.UTF_8);
        assertTrue(json, json.endsWith("\"memory_limit\":268435456,\"pids_limit\":64,\"cpus\":1.5,\"cpu_weight\":200,"
                + "\"log_limit\":2097152,\"stats\":{\"memory\":3145728,\"memory_peak\":4194304,\"pids\":2,\"cpu_ns\":250000000,"
                + "\"oom_kills\":0}}]\n"));
        assertExits("rocker:stats exited with status 1", () -> gogo.stats("--local", "nope"));
        assertExits("rocker:run exited with status 125", () -> gogo.run(runArgs("--memory", "lots", "--", "/bin/true")));
        assertEquals(1, engine.requests.size());
    }
}
