package rocker.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameters;

import rocker.testsupport.Images;
import rocker.testsupport.WorkDirs;

/**
 * The `rocker` command line as users run it: the launcher jar this build exported, as separate
 * processes, a real server, real rockers. The server is killed with SIGKILL and restarted: the
 * rockers it made are still listed and can be killed.
 *
 * <p>Every case runs twice: with the client commands in the launcher ({@code java -jar rocker.jar ...},
 * Felix with every bundle) and without a framework ({@code ./rocker ...}, which runs rocker.cli.Main on
 * the plain class path cnf/target/client: docs/launcher.md), with the same expectations; and
 * {@link #theClientWithoutAFrameworkAnswersAsTheLauncher} compares the two byte for byte.
 */
@RunWith(Parameterized.class)
public class LauncherCliIT {
    private static final Path JAR = Launcher.JAR;
    private static final Pattern PID = Pattern.compile("\"guard_pid\":(\\d+)");

    private final String client;
    private Path work;
    /** The TMPDIR of ./rocker: a client JVM puts nothing there. */
    private Path scriptTmp;
    private Path socket;
    private Path state;
    private Launcher.Server server;
    private java.util.Set<Path> frameworkDirsBefore;

    /** Where the client commands run: "launcher" (java -jar rocker.jar) or "plain" (./rocker, no framework). */
    @Parameters(name = "{0}")
    public static List<Object[]> clients() {
        return List.of(new Object[] {"launcher"}, new Object[] {"plain"});
    }

    public LauncherCliIT(String client) {
        this.client = client;
    }

    @Before
    public void setUp() throws Exception {
        assertTrue("the launcher jar is built before the integration tests: " + JAR, Files.isRegularFile(JAR));
        frameworkDirsBefore = frameworkDirs();
        work = WorkDirs.create(Path.of("/tmp"), "rocker-itest-cli-");
        // a dir of its own: the socket's dir is hidden in every rocker (docs/security.md)
        socket = Files.createDirectory(work.resolve("sock")).resolve("rocker.sock");
        scriptTmp = Files.createDirectory(work.resolve("script-tmp"));
        state = work.resolve("state");
        server = new Launcher.Server(socket, state, work.resolve("server.log"));
    }

    @After
    public void tearDown() throws Exception {
        try {
            // whatever a failed test left: destroyed through a server on our state dir
            if (!server.running()) {
                Files.deleteIfExists(socket);
                server.start();
            }
            Launcher.destroyAll(socket, this::rocker);
            server.stop();
        } finally {
            WorkDirs.deleteQuietly(work);
            // the framework storage of the server this test SIGKILLs on purpose (a launcher that is
            // killed leaves it: the reliability issue's to fix); only dirs that appeared during the test
            for (Path fw : frameworkDirs()) {
                if (!frameworkDirsBefore.contains(fw)) WorkDirs.deleteQuietly(fw);
            }
        }
    }

    private static java.util.Set<Path> frameworkDirs() throws IOException {
        try (var s = Files.newDirectoryStream(Path.of("/tmp"), "osgi.*.fw")) {
            java.util.Set<Path> dirs = new java.util.HashSet<>();
            s.forEach(dirs::add);
            return dirs;
        }
    }

    private Launcher.Run rocker(String... args) throws Exception {
        return "plain".equals(client) ? plain(args) : launcher(args);
    }

    /** {@code java -jar rocker.jar ARGS}: the client command in Felix. */
    private Launcher.Run launcher(String... args) throws Exception {
        return Launcher.run(work, Launcher.command(args));
    }

    /** {@code ./rocker ARGS}: without --local, the client command on a plain class path, no framework. */
    private Launcher.Run plain(String... args) throws Exception {
        return new RockerScript(scriptTmp).run(work, args);
    }


    private Path image() throws Exception {
        return Images.build(work, "cli", Map.of(
                "sleep.sh", "#!/bin/sh\nexec sleep 1000\n",
                "hello.sh", "#!/bin/sh\necho \"hello $(id -u) $1\"\necho oops >&2\nexit 7\n"));
    }

    private String[] run(Path image, String data, String... rest) {
        List<String> a = new ArrayList<>(List.of("run", "--socket", socket.toString(), "--pkg", image.toString(),
                "--exec-dir", work.resolve("exec-" + data).toString(), "--data-dir", work.resolve("data-" + data).toString(),
                "--overlay", "/etc", "--uid", "1000", "--gid", "1000"));
        a.addAll(List.of(rest));
        return a.toArray(new String[0]);
    }

    private static boolean alive(int pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    @Test
    public void runListKillThroughAServerThatIsKilledAndRestarted() throws Exception {
        Path img = image();
        server.start();

        Launcher.Run started = rocker(run(img, "a", "--json", "--", "/bin/sh", work.resolve("exec-a") + "/sleep.sh"));
        assertEquals(started.toString(), 0, started.code());
        assertTrue(started.out(), started.out().contains("\"err_no\":0,\"err\":\"success\""));
        Matcher name = Launcher.NAME.matcher(started.out());
        Matcher pid = PID.matcher(started.out());
        assertTrue(started.out(), name.find() && pid.find());
        String guard = name.group(1);
        int guardPid = Integer.parseInt(pid.group(1));
        assertTrue(alive(guardPid));

        Launcher.Run waited = rocker(run(img, "b", "--rm", "--wait", "--", "/bin/sh", work.resolve("exec-b") + "/hello.sh", "x"));
        assertEquals(waited.toString(), 7, waited.code());
        assertEquals("hello 1000 x\n", waited.out());
        assertTrue(waited.err(), waited.err().contains("oops"));

        Launcher.Run bad = rocker(run(work.resolve("missing.squashfs"), "c", "--", "/bin/true"));
        assertEquals(bad.toString(), 125, bad.code());
        assertTrue(bad.err(), bad.err().startsWith("rocker: param_invalid: app_pkg_path"));

        Launcher.Run name1 = rocker("guardname", Integer.toString(guardPid));
        assertEquals(name1.toString(), 0, name1.code());
        assertEquals(guard, name1.out().trim());

        // the server dies hard; its rockers do not
        server.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        assertTrue("the rocker outlives its server", alive(guardPid));
        Files.deleteIfExists(socket); // a SIGKILLed server cannot remove it; a new one replaces a stale socket anyway
        server.start();
        Launcher.Run listed = rocker("ls", "--socket", socket.toString(), "--json");
        assertEquals(listed.toString(), 0, listed.code());
        assertTrue(listed.out(), listed.out().contains("\"guard_name\":\"" + guard + "\""));
        assertTrue(listed.out(), listed.out().contains("\"app_id\":"));

        Launcher.Run killed = rocker("kill", "--socket", socket.toString(), guard);
        assertEquals(killed.toString(), 0, killed.code());
        assertTrue("the guard is gone", waitGone(guardPid));
        Launcher.Run again = rocker("kill", "--socket", socket.toString(), guard);
        assertNotEquals(again.toString(), 0, again.code());
        assertFalse(rocker("ls", "--socket", socket.toString(), "--json").out().contains(guard));
        // ./rocker's client JVMs extract nothing: no private temp dir, no framework storage, no native library
        assertEquals(new java.util.TreeSet<String>(), new RockerScript(scriptTmp).tmpEntries());
    }

    /**
     * The client commands without a framework print the same bytes and exit with the same codes as in the
     * launcher: help texts, wrong command lines, a server's answers and failures, a missing server.
     */
    @Test
    public void theClientWithoutAFrameworkAnswersAsTheLauncher() throws Exception {
        server.start();
        String s = socket.toString();
        String absent = work.resolve("absent.sock").toString();
        String[][] cases = {
            {"--help"}, {"help"}, {"-h"},
            {"run", "--help"}, {"ls", "--help"}, {"stats", "--help"}, {"kill", "--help"}, {"guardname", "--help"}, {"pack", "--help"},
            {"ls", "--socket", s}, {"ls", "--socket", s, "--json"},
            {"stats", "--socket", s, "rknosuchrocker0"}, {"stats", "--socket", s, "--json", "rknosuchrocker0"},
            {"kill", "--socket", s, "rknosuchrocker0"}, {"kill", "--socket", s, "999999"},
            {"ls", "--socket", absent}, {"kill", "--socket", absent, "rknosuchrocker0"},
            {"ls", "--bogus"}, {"kill"}, {"stats"}, {"guardname"}, {"guardname", "x"}, {"guardname", "1"},
            {"run", "--socket", s, "--", "/bin/true"},
            run(work.resolve("missing.squashfs"), "m", "--", "/bin/true"),
            run(work.resolve("missing.squashfs"), "m", "--json", "--", "/bin/true"),
            {"pack", work.resolve("no-such-dir").toString(), work.resolve("out.squashfs").toString()},
        };
        // each case is compared once: the even ones in the "plain" run of this class, the odd ones in the other
        int half = "plain".equals(client) ? 0 : 1;
        for (int i = half; i < cases.length; i += 2) {
            String[] c = cases[i];
            Launcher.Run framework = launcher(c);
            Launcher.Run plain = plain(c);
            String what = "rocker " + String.join(" ", c) + ": launcher " + framework + " / plain " + plain;
            assertEquals(what, framework.code(), plain.code());
            assertEquals(what, framework.out(), plain.out());
            assertEquals(what, framework.err(), plain.err());
        }
        assertEquals(new java.util.TreeSet<String>(), new RockerScript(scriptTmp).tmpEntries());
    }

    private static boolean waitGone(int pid) throws InterruptedException {
        for (int i = 0; i < 200 && alive(pid); i++) {
            Thread.sleep(25);
        }
        return !alive(pid);
    }
}
