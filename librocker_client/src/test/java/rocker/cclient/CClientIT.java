package rocker.cclient;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.After;
import org.junit.AfterClass;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameters;

import rocker.testsupport.HostUser;
import rocker.testsupport.Images;
import rocker.testsupport.KernelView;
import rocker.testsupport.WorkDirs;

/**
 * librocker_client's C tests (test/ctest.c, test/seed_example.c) against a real server of this build
 * ({@code java -jar cnf/target/rocker.jar serve} on a private socket and state dir), as root: each
 * case once as built ("plain", linked against the shared library) and once with ASan+UBSan
 * ("asan"). Every rocker a C test makes it destroys itself and checks gone; after each test this
 * class checks the host (no rocker process, loop device or mount of its work dir) and the server's
 * list. docs/c-client.md.
 */
@RunWith(Parameterized.class)
public class CClientIT {
    static final Path JAR = Path.of(System.getProperty("rocker.cclient.launcher", "../cnf/target/rocker.jar")).toAbsolutePath().normalize();
    static final Path NATIVE = Path.of(System.getProperty("rocker.cclient.native", "target/x86_64")).toAbsolutePath().normalize();
    static final Set<String> API = Set.of("ROCKER_enter_rocker", "ROCKER_get_guardname", "ROCKER_request_new", "ROCKER_run_rocker",
            "ROCKER_destroy", "ROCKER_strerror", "ROCKER_set_socket_path");

    static Path work;
    static Path socket;
    static Path image;
    static Process server;

    @Parameters(name = "{0}")
    public static List<Object[]> variants() {
        return List.of(new Object[] {"plain"}, new Object[] {"asan"});
    }

    private final String variant;
    private Path dir;

    public CClientIT(String variant) {
        this.variant = variant;
    }

    @BeforeClass
    public static void serve() throws Exception {
        assertEquals("the C tests run as root", "0", new String(new ProcessBuilder("id", "-u").start().getInputStream().readAllBytes()).trim());
        assertTrue("the launcher jar is built: " + JAR, Files.isRegularFile(JAR));
        work = WorkDirs.create(Path.of("/tmp"), "rocker-cclient-");
        // a dir of its own for the socket (it is hidden in every rocker), open to the test's user
        socket = Files.createDirectory(work.resolve("sock")).resolve("rocker.sock");
        image = Images.build(work, "app", Map.of(
                "hello.txt", "hello from the image\n",
                "hello.sh", "#!/bin/sh\necho \"hello $(id -u) $1\"\n",
                "sleep.sh", "#!/bin/sh\nexec sleep 1000\n"));
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", JAR.toString(), "serve",
                "--socket", socket.toString(), "--state-dir", work.resolve("state").toString(),
                // an image's shared mount goes with its last rocker: each test leaves no loop device behind
                "--image-grace", "0");
        server = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(work.resolve("server.log").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < end && !Files.exists(socket)) {
            Thread.sleep(50);
        }
        assertTrue("the server listens: " + serverLog(), Files.exists(socket));
    }

    @AfterClass
    public static void stop() throws Exception {
        try {
            if (server != null) {
                List<String> left = listed();
                server.destroy();
                if (!server.waitFor(20, TimeUnit.SECONDS)) {
                    server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
                assertEquals("the server lists no rocker at the end", List.of(), left);
            }
            assertHostClean();
        } finally {
            WorkDirs.deleteQuietly(work);
        }
    }

    @Before
    public void dir() throws IOException {
        dir = WorkDirs.create(work, variant + "-");
    }

    @After
    public void hostClean() throws Exception {
        assertHostClean();
        assertEquals("the server lists no rocker", List.of(), listed());
    }

    static void assertHostClean() throws Exception {
        String mark = work.toString() + "/";
        assertTrue("no rocker process of this test is left: " + KernelView.rockerProcessesMentioning(mark),
                KernelView.eventually(() -> KernelView.rockerProcessesMentioning(mark).isEmpty()));
        assertTrue("no loop device on the test's files: " + KernelView.loopsOn(mark), KernelView.eventually(() -> KernelView.loopsOn(mark).isEmpty()));
        assertEquals("no mount of the test's dirs on the host", Set.of(),
                KernelView.mountPoints().stream().filter(m -> m.startsWith(mark)).collect(Collectors.toSet()));
    }

    /** The guard names the server lists (root's view: all), through the plain client commands. */
    static List<String> listed() throws Exception {
        String out = run(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-jar", JAR.toString(), "ls", "--socket", socket.toString(), "--json"), 0)
                .out;
        List<String> names = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"guard_name\":\"(rk[a-z2-7]+)\"").matcher(out);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    static String serverLog() throws IOException {
        Path l = work.resolve("server.log");
        return Files.exists(l) ? Files.readString(l) : "";
    }

    record Run(int code, String out) {
    }

    /** Runs argv with ROCKER_SOCKET set, within 240 s; its exit code and output (stdout and stderr). */
    static Run run(List<String> argv, int unusedFlag) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().put("ROCKER_SOCKET", socket.toString());
        pb.environment().put("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:exitcode=86");
        pb.environment().put("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1:exitcode=87");
        Path out = Files.createTempFile(work, "out", ".txt");
        Process p = pb.redirectOutput(out.toFile()).start();
        if (!p.waitFor(240, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError(argv + " did not end within 240 s: " + Files.readString(out, StandardCharsets.ISO_8859_1));
        }
        String text = Files.readString(out, StandardCharsets.ISO_8859_1);
        Files.delete(out);
        return new Run(p.exitValue(), text);
    }

    private Path binary(String name) {
        return NATIVE.resolve("test").resolve(("asan".equals(variant) ? "asan-" : "") + name);
    }

    /** Runs a case of ctest: it passes (exit 0, "PASSED CASE", no FAIL line). */
    private String ctest(String testCase, List<String> wrap, String... extra) throws Exception {
        List<String> argv = new ArrayList<>(List.of(binary("ctest").toString(), testCase, image.toString(), dir.toString()));
        argv.addAll(List.of(extra));
        List<String> cmd = new ArrayList<>(wrap);
        cmd.addAll(argv);
        Run r = run(wrap.isEmpty() ? argv : cmd, 0);
        System.out.println("[" + variant + " " + testCase + "]\n" + r.out);
        assertEquals(r.out + "\nserver log:\n" + serverLog(), 0, r.code);
        assertTrue(r.out, r.out.contains("PASSED " + testCase + "\n"));
        assertFalse(r.out, r.out.contains("FAIL "));
        return r.out;
    }

    @Test
    public void theCallbackRunsInsideTheRockerAndTheCallerIsUnchanged() throws Exception {
        String out = ctest("inside", List.of());
        assertTrue(out, out.contains("ok in the app: its pid namespace is not the caller's"));
        assertTrue(out, out.contains("ok waitpid(app_pid) gives the callback's 42"));
        // the write to /var/tmp (an overlay dir of the request) landed in the data dir, not on the host
        List<Path> marks;
        try (Stream<Path> s = Files.walk(dir.resolve("data-inside"))) {
            marks = s.filter(p -> p.getFileName().toString().equals("c-client-marker.txt")).collect(Collectors.toList());
        }
        assertEquals(marks.toString(), 1, marks.size());
        assertEquals("written in the rocker\n", Files.readString(marks.get(0)));
        assertFalse("the host's /var/tmp is untouched", Files.exists(Path.of("/var/tmp/c-client-marker.txt")));
    }

    @Test
    public void theFallbackForKernelsWithoutPidfdEntersToo() throws Exception {
        if ("asan".equals(variant)) {
            // one build of the fallback: the plain run covers it; ASan runs the pidfd path (inside)
            Run r = run(List.of(NATIVE.resolve("test/ctest-procfallback").toString(), "guardname", image.toString(), dir.toString()), 0);
            assertEquals(r.out, 0, r.code);
            return;
        }
        Run r = run(List.of(NATIVE.resolve("test/ctest-procfallback").toString(), "inside", image.toString(), dir.toString()), 0);
        System.out.println("[procfallback inside]\n" + r.out);
        assertEquals(r.out + "\nserver log:\n" + serverLog(), 0, r.code);
        assertTrue(r.out, r.out.contains("PASSED inside\n"));
    }

    @Test
    public void twoThreadsEnterAtOnce() throws Exception {
        String out = ctest("threads", List.of());
        assertTrue(out, out.contains("ok thread-a: waitpid gives 300 & 0xff = 44"));
    }

    @Test
    public void everyClientSideError() throws Exception {
        String out = ctest("errors", List.of());
        for (String code : List.of("server_unaddr_invalid", "gen_local_addr_failed", "send_req_failed", "recv_resp_failed", "param_invalid")) {
            assertTrue(code + ": " + out, out.contains(": " + code));
        }
    }

    @Test
    public void theAppHasASessionOfItsOwnNoCallerDescriptorsAndNoRootProcessState() throws Exception {
        String out = ctest("hygiene", List.of());
        for (String line : List.of("ok in the app: a session of its own", "ok in the app: no controlling terminal", "ok in the app: stdin is /dev/null",
                "ok in the app: no descriptor of the caller's but 0-2", "ok in the app: nice 0", "ok in the app: securebits 0",
                "ok in the app: SCHED_OTHER")) {
            assertTrue(line + ": " + out, out.contains(line));
        }
    }

    @Test
    public void hostileServersAreRefusedAndFailedEntersLeaveNoZombie() throws Exception {
        String out = ctest("hostile", List.of());
        assertTrue(out, out.contains("ok enter, a server of uid 65534: server_unaddr_invalid, EPERM"));
        assertTrue(out, out.contains("ok 15 failed enters: no zombie child (0)"));
        if ("plain".equals(variant)) {
            // the older kernels' ways: cgroup paths opened component by component, descriptors closed through /proc/self/fd
            for (String c : List.of("hostile", "hygiene")) {
                Run r = run(List.of(NATIVE.resolve("test/ctest-procfallback").toString(), c, image.toString(), dir.toString()), 0);
                System.out.println("[procfallback " + c + "]\n" + r.out);
                assertEquals(r.out + "\nserver log:\n" + serverLog(), 0, r.code);
                assertTrue(r.out, r.out.contains("PASSED " + c + "\n"));
            }
        }
    }

    @Test
    public void guardNames() throws Exception {
        ctest("guardname", List.of());
    }

    @Test
    public void nonRootCallers() throws Exception {
        try (HostUser user = HostUser.create("rkc")) {
            Path home = user.home(dir);
            Set<String> before = new TreeSet<>(listed());
            String out = ctest("nonroot", user.command(List.of()), home.toString());
            assertTrue(out, out.contains("ok enter as a user: enter_rocker_failed, EPERM"));
            assertEquals("nothing was built for the refused enter", before, new TreeSet<>(listed()));
            assertEquals("hello " + user.uid + " from-c\n", Files.readString(home.resolve("data-mine/log/stdout.log")));
            assertTrue("no process of the user is left",
                    KernelView.eventually(() -> new ProcessBuilder("pgrep", "-u", Integer.toString(user.uid)).start().waitFor() == 1));
        }
    }

    @Test
    public void theSeedsExampleCompilesAndRuns() throws Exception {
        Path pkg = Path.of("/tmp/your_APP.squashfs");
        Path var = Path.of("/var/your_APP");
        assertFalse("the seed's paths are free: " + pkg, Files.exists(pkg));
        assertFalse("the seed's paths are free: " + var, Files.exists(var));
        try {
            Files.copy(image, pkg);
            Run r = run(List.of(binary("seed_example").toString()), 0);
            assertEquals(r.out + "\nserver log:\n" + serverLog(), 0, r.code);
            // it SIGKILLs its guard: the server notices and tears the rocker down
            assertTrue("the seed's rocker is gone: " + listed(), KernelView.eventually(() -> listed().isEmpty()));
            assertTrue(KernelView.eventually(() -> KernelView.rockerProcessesMentioning(var.toString()).isEmpty()));
            assertTrue(KernelView.eventually(() -> KernelView.loopsOn(pkg.toString()).isEmpty()));
            assertTrue("the rocker's data dir was made", Files.isDirectory(var.resolve("datadir")));
        } finally {
            Files.deleteIfExists(pkg);
            WorkDirs.deleteQuietly(var);
        }
    }

    @Test
    public void theLibraryExportsExactlyTheApi() throws Exception {
        Run r = run(List.of("nm", "-D", "--defined-only", NATIVE.resolve("lib/librocker_client.so").toString()), 0);
        assertEquals(r.out, 0, r.code);
        Set<String> names = r.out.lines().map(l -> l.trim().split("\\s+")).filter(f -> f.length == 3).map(f -> f[2])
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(new TreeSet<>(API), names);
        Run soname = run(List.of("readelf", "-d", NATIVE.resolve("lib/librocker_client.so.1").toString()), 0);
        assertTrue(soname.out, soname.out.contains("Library soname: [librocker_client.so.1]"));
        assertFalse("libc only: " + soname.out, soname.out.lines().anyMatch(l -> l.contains("(NEEDED)") && !l.contains("libc.so")));
    }
}
