package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;

import rocker.api.RockerApp;
import rocker.api.RockerCaller;
import rocker.api.RockerError;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.testsupport.Images;

/**
 * The app's system call filter on the real kernel: a static test program (src/test/c/seccomp-probe.c)
 * tries calls inside rockers with Rocker's default filter, none, and a profile, and prints the errno
 * each got; the shell's {@code unshare -U true} too.
 */
public class SeccompTest {
    private static final boolean X86_64 = System.getProperty("os.arch").equals("amd64");
    private static Path probe;
    /** What the i386 ABI answers on this host without a filter: "0" (or ENOSYS), or "signal-11" where the kernel has no IA32 emulation. */
    private static String hostI386;

    @Rule
    public final EngineFixture fx = new EngineFixture();

    @BeforeClass
    public static void buildProbe() throws Exception {
        Path dir = Files.createDirectories(Path.of("target", "seccomp-probe").toAbsolutePath());
        probe = dir.resolve("seccomp-probe");
        Process p = new ProcessBuilder("gcc", "-std=gnu11", "-O1", "-Wall", "-Wextra", "-Werror", "-static", "-pthread",
                "-o", probe.toString(), Path.of("src/test/c/seccomp-probe.c").toAbsolutePath().toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals("gcc: " + out, 0, p.waitFor());
        if (X86_64) {
            Process h = new ProcessBuilder(probe.toString(), "--i386").redirectErrorStream(true).start();
            String answer = new String(h.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(answer, 0, h.waitFor());
            assertTrue(answer, answer.equals("i386 0\n") || answer.equals("i386 38\n") || answer.equals("i386 signal-11\n"));
            hostI386 = answer.substring(5).trim();
        }
    }

    /**
     * What a filtered i386 call must answer: EPERM, or, on a kernel without IA32 emulation, the same fault
     * as on the host (the ABI does not exist there, so nothing reaches the filter).
     */
    private static String filteredI386() {
        return hostI386.startsWith("signal-") ? hostI386 : EPERM;
    }

    /** The probe's answers (name -> errno or "signal-N"), and the shell's unshare -U as "shell". */
    private Map<String, String> run(String data, RockerRequest.Builder request, RockerCaller caller) throws Exception {
        RockerResult r = start(data, request, caller);
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        assertEquals(0, fx.engine.waitForApp(r.guardName(), Duration.ofSeconds(30)).getAsInt());
        Path log = fx.work.resolve("data-" + data).resolve("log");
        String out = Files.readString(log.resolve("stdout.log"));
        assertTrue(out, out.endsWith("end\n"));
        Map<String, String> answers = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            int sp = line.indexOf(' ');
            if (line.startsWith("shell: ")) answers.put("shell", line.substring(7));
            else if (sp > 0) answers.put(line.substring(0, sp), line.substring(sp + 1));
        }
        return answers;
    }

    private RockerResult start(String data, RockerRequest.Builder request, RockerCaller caller) throws IOException, InterruptedException {
        Path src = fx.work.resolve("probe-src");
        if (!Files.exists(src)) {
            Files.createDirectories(src);
            Files.copy(probe, src.resolve("seccomp-probe"));
            Files.writeString(src.resolve("run.sh"), "#!/bin/sh\n\"$(dirname \"$0\")/seccomp-probe\"\n"
                    + "echo \"shell: $(unshare -U true 2>&1 && echo unshared)\"\necho end\n");
            Files.setPosixFilePermissions(src.resolve("run.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        Path image = fx.work.resolve("probe.squashfs");
        if (!Files.exists(image)) image = Images.pack(fx.work, "probe", src);
        RockerRequest req = request.pkgPath(image.toString()).execDir(fx.work.resolve("exec-" + data).toString())
                .dataDir(fx.work.resolve("data-" + data).toString()).build();
        return fx.engine.enterRocker(req, RockerApp.of("/bin/sh", req.execDir() + "/run.sh"), caller);
    }

    private RockerRequest.Builder request(int uid) {
        return RockerRequest.builder().appId(7).uid(uid).gid(uid);
    }

    private static final String EPERM = "1";
    private static final String EACCES = "13";
    private static final String ENOSYS = "38";

    private static void assertDefaultFilter(Map<String, String> a) {
        String all = a.toString();
        assertEquals(all, "2", a.get("seccomp"));
        for (String denied : List.of("unshare_user", "unshare_ns", "clone_user", "mount", "umount2", "keyctl", "bpf",
                "io_uring_setup", "personality_rie", "vsock")) {
            assertEquals(denied + " in " + all, EPERM, a.get(denied));
        }
        if (X86_64) {
            assertEquals("i386 " + all, filteredI386(), a.get("i386"));
            assertEquals("x32 " + all, EPERM, a.get("x32"));
        }
        assertEquals(all, ENOSYS, a.get("unknown"));
        assertEquals(all, ENOSYS, a.get("clone3"));
        for (String works : List.of("unshare_files", "clone", "personality_query", "fork", "thread", "exec", "mkdir", "getpid")) {
            assertEquals(works + " in " + all, "0", a.get(works));
        }
        assertTrue(all, a.get("shell").contains("Operation not permitted"));
    }

    @Test
    public void theDefaultFilterDeniesNamespacesMountsKeysBpfOtherAbisAndKnowsNoNewerCalls() throws Exception {
        assertDefaultFilter(run("user", request(1000), RockerCaller.engine()));
    }

    @Test
    public void uid0GetsTheSameFilter() throws Exception {
        assertDefaultFilter(run("root", request(0), RockerCaller.engine()));
    }

    /** The app makes its user namespace before the filter is installed; inside it, root still gets the filter. */
    @Test
    public void userNamespaceModeWorksAndIsFilteredToo() throws Exception {
        Map<String, String> a = run("userns", request(1000).userNamespace(true), RockerCaller.engine());
        assertDefaultFilter(a);
    }

    @Test
    public void unconfinedLiftsEveryDenial() throws Exception {
        Map<String, String> a = run("unconfined", request(1000).seccomp(RockerRequest.SECCOMP_UNCONFINED), RockerCaller.engine());
        String all = a.toString();
        assertEquals(all, "0", a.get("seccomp"));
        // what the kernel itself answers a uid without capabilities
        assertEquals(all, "0", a.get("unshare_user"));
        assertEquals(all, "0", a.get("clone_user"));
        assertEquals(all, "0", a.get("clone3"));
        assertEquals("EFAULT for the missing target " + all, "14", a.get("mount"));
        assertEquals("EOPNOTSUPP for the bad operation " + all, "95", a.get("keyctl"));
        assertTrue(all, !a.get("io_uring_setup").equals(EPERM));
        assertEquals(all, "0", a.get("personality_rie"));
        assertEquals(all, ENOSYS, a.get("unknown"));
        if (X86_64) assertEquals("i386 getpid as on the host: " + all, hostI386, a.get("i386"));
        assertTrue(all, a.get("shell").contains("unshared"));
    }

    private Path profile(String name, String json) throws IOException {
        Path p = fx.work.resolve(name);
        Files.writeString(p, json);
        return p;
    }

    @Test
    public void aProfileAllowsAllButMkdir() throws Exception {
        Path p = profile("no-mkdir.json", "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86_64\"],\n"
                + " \"syscalls\": [{\"names\": [\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13,"
                + " \"comment\": \"no new dirs\"}]}\n");
        Map<String, String> a = run("profile", request(1000).seccomp(p.toString()), RockerCaller.engine());
        String all = a.toString();
        assertEquals(all, "2", a.get("seccomp"));
        assertEquals(all, EACCES, a.get("mkdir"));
        assertEquals(all, "0", a.get("unshare_user"));
        assertEquals(all, "0", a.get("clone3"));
        assertEquals(all, "0", a.get("getpid"));
        if (X86_64) assertEquals("other ABIs are refused whatever the profile says: " + all, EPERM, a.get("x32"));
    }

    @Test
    public void aProfileThatDeniesByDefaultAnswersNewerCallsEnosys() throws Exception {
        // the default filter's allowlist, written as a profile, without mkdir/mkdirat; clone3 must answer
        // ENOSYS (as in Docker's profile), or glibc does not fall back to clone and pthread_create fails
        StringBuilder names = new StringBuilder();
        for (String n : SeccompTableTest.dumpNames(System.getProperty("rocker.guard"), null)) {
            if (!n.equals("mkdir") && !n.equals("mkdirat")) names.append(names.length() == 0 ? "" : ", ").append('"').append(n).append('"');
        }
        Path p = profile("allowlist.json", "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 13, \"syscalls\": ["
                + "{\"names\": [" + names + "], \"action\": \"SCMP_ACT_ALLOW\"},"
                + " {\"names\": [\"clone3\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38}]}");
        Map<String, String> a = run("allowlist", request(1000).seccomp(p.toString()), RockerCaller.engine());
        String all = a.toString();
        assertEquals(all, EACCES, a.get("mkdir"));
        assertEquals(all, ENOSYS, a.get("unknown"));
        assertEquals(all, "0", a.get("fork"));
        assertEquals(all, "0", a.get("thread"));
        assertEquals(all, ENOSYS, a.get("clone3"));
        assertEquals("not allowed: the profile's default errno " + all, EACCES, a.get("keyctl"));
    }

    private void refused(String data, RockerRequest.Builder request, RockerCaller caller, RockerError error, String message)
            throws Exception {
        RockerResult r = start(data, request, caller);
        assertEquals(r.toString(), error, r.error());
        assertEquals(message, r.message());
        assertEquals("", r.guardName());
        assertTrue(fx.engine.list().isEmpty());
        assertTrue("no data dir left", !Files.exists(fx.work.resolve("data-" + data)));
    }

    @Test
    public void badProfilesAreRefusedNamingTheProblem() throws Exception {
        Path unknown = profile("unknown.json", "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
                + "{\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ALLOW\"}, {\"names\": [\"mkdri\"], \"action\": \"SCMP_ACT_ERRNO\"}]}");
        refused("unknown", request(1000).seccomp(unknown.toString()), RockerCaller.engine(), RockerError.PARAM_INVALID,
                "seccomp '" + unknown + "': rule 1: 'mkdri' is not a system call Rocker knows");
        Path args = profile("args.json", "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"socket\"],"
                + " \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": 40, \"op\": \"SCMP_CMP_NE\"}]}]}");
        refused("args", request(1000).seccomp(args.toString()), RockerCaller.engine(), RockerError.PARAM_INVALID,
                "seccomp '" + args + "': rule 0 [socket] has \"args\": argument conditions are not supported");
        Path missing = fx.work.resolve("missing.json");
        refused("missing", request(1000).seccomp(missing.toString()), RockerCaller.engine(), RockerError.PARAM_INVALID,
                "seccomp '" + missing + "': does not exist");
        Path link = fx.work.resolve("link.json");
        Files.createSymbolicLink(link, args);
        refused("link", request(1000).seccomp(link.toString()), RockerCaller.engine(), RockerError.PARAM_INVALID,
                "seccomp '" + link + "': is a symbolic link: name the profile file itself");
    }

    @Test
    public void onlyRootClientsChooseTheFilter() throws Exception {
        RockerCaller user = RockerCaller.user(1000, 1000, List.of(), 0);
        refused("user-unconfined", request(1000).seccomp("unconfined"), user, RockerError.SYS,
                "permission denied: seccomp 'unconfined': only root clients may change the system call filter");
        refused("user-profile", request(1000).seccomp("/etc/rocker/p.json"), user, RockerError.SYS,
                "permission denied: seccomp '/etc/rocker/p.json': only root clients may change the system call filter");
    }
}
