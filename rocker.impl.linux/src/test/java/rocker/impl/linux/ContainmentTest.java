package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.RuleChain;

import rocker.api.RockerApp;
import rocker.api.RockerCaller;
import rocker.api.RockerError;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.api.SharedDir;
import rocker.testsupport.HostUser;
import rocker.testsupport.Images;

/**
 * The app's view of the host (docs/security.md, "Containment"): read-only outside its overlays, its own
 * /tmp and /run in the data dir, /proc/sys and /sys read-only, kernel dirs masked, a minimal /dev
 * without the host's disks, plus the devices and dirs a request shares on purpose. Apps as uid 0 and
 * uid 1000; the host is compared before and after.
 */
public class ContainmentTest {
    /** Not under /tmp: the test's shared dirs are host dirs the app must reach at the same path. */
    final EngineFixture fx = new EngineFixture(Path.of("/var/tmp"));
    private final Attacker attacker = new Attacker(fx);

    @Rule
    public final RuleChain rules = RuleChain.outerRule(fx).around(attacker);

    /** Host top-level dirs the app tries to write into: all but the kernel's, the overlaid one and /tmp, /run. */
    private static List<String> hostTopDirs() throws Exception {
        List<String> dirs = new ArrayList<>(List.of("/"));
        try (var s = Files.newDirectoryStream(Path.of("/"))) {
            for (Path p : s) {
                String d = p.toString();
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) && !List.of("/proc", "/sys", "/dev", "/tmp", "/run", "/var").contains(d)) {
                    dirs.add(d);
                }
            }
        }
        java.util.Collections.sort(dirs);
        return dirs;
    }

    /** What the host's top-level dirs hold (names), to see that nothing appears. */
    private static Map<String, List<String>> hostListing(List<String> dirs) throws Exception {
        Map<String, List<String>> m = new TreeMap<>();
        for (String d : dirs) {
            List<String> names = new ArrayList<>();
            try (var s = Files.newDirectoryStream(Path.of(d))) {
                s.forEach(p -> names.add(p.getFileName().toString()));
            } catch (java.nio.file.AccessDeniedException e) {
                names.add("(unreadable)");
            }
            java.util.Collections.sort(names);
            m.put(d, names);
        }
        return m;
    }

    /** Called before each rocker a test builds and after it was built (a subclass's checks). */
    void beforeBuild(RockerRequest request) throws Exception {
    }

    void afterBuild(RockerRequest request, RockerResult result) {
    }

    private RockerResult enter(RockerRequest request, RockerApp app, RockerCaller caller) throws Exception {
        beforeBuild(request);
        RockerResult r = fx.engine.enterRocker(request, app, caller);
        afterBuild(request, r);
        return r;
    }

    private String run(RockerRequest request, RockerCaller caller, String script) throws Exception {
        RockerResult r = enter(request, RockerApp.of("/bin/sh", "-c", script), caller);
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        assertEquals(0, fx.engine.waitForApp(r.guardName(), Duration.ofSeconds(20)).getAsInt());
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
        return Files.readString(Path.of(request.dataDir(), "log/stdout.log"));
    }

    @Test
    public void theHostIsReadOnlyOutsideTheOverlaysAndTmpAndRunAreTheRockersOwn() throws Exception {
        Path image = Images.build(fx.work, "ro", Map.of("marker", "x\n"));
        // the exec dir lies outside the overlays: the engine makes it on the host for a root client (by design),
        // so it is there before the listing, which then shows only what the rocker did (the fixture removes it)
        Files.createDirectories(Path.of("/opt/rocker-test-ro"));
        List<String> dirs = hostTopDirs();
        Map<String, List<String>> before = hostListing(dirs);
        String readAhead = Files.readString(Path.of("/sys/block/vda/queue/read_ahead_kb"));
        StringBuilder script = new StringBuilder();
        StringBuilder expected = new StringBuilder();
        StringBuilder expectedUser = new StringBuilder();
        for (String d : dirs) {
            String probe = (d.equals("/") ? "" : d) + "/rocker-probe-$$";
            script.append("touch ").append(probe).append(" 2>&1 | sed 's/.*: //'\n");
            expected.append("Read-only file system\n");
            // uid 1000 cannot even look into a dir that is not searchable for others (e.g. /root, 0700)
            boolean searchable = ((Integer) Files.getAttribute(Path.of(d), "unix:mode") & 01) != 0;
            expectedUser.append(searchable ? "Read-only file system\n" : "Permission denied\n");
        }
        script.append("echo x > /var/rocker-probe && echo var: overlaid\n")
                .append("echo t > /tmp/rocker-probe && echo tmp: own\n")
                .append("echo r > /run/rocker-probe && echo run: own\n")
                .append("(echo 1 > /proc/sys/vm/swappiness) 2>&1 | sed 's/.*: //'\n")
                .append("(echo 64 > /sys/block/vda/queue/read_ahead_kb) 2>&1 | sed 's/.*: //'\n")
                .append("echo firmware: $(ls -A /sys/firmware | wc -l)\n")
                .append("echo dev: $(ls /dev)\n")
                .append("test -e /dev/vda && echo vda: visible || echo vda: absent\n")
                .append("echo x > /dev/null && echo null: ok\n")
                .append("echo zero: $(head -c 4 /dev/zero | wc -c)\n")
                .append("echo s > /dev/shm/rocker-probe && echo shm: ok\n")
                .append("touch /dev/rocker-probe 2>&1 | sed 's/.*: //'\n");
        String rest = "tmp: own\nrun: own\nRead-only file system\nRead-only file system\nfirmware: 0\n"
                + "dev: fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero\n"
                + "vda: absent\nnull: ok\nzero: 4\nshm: ok\nRead-only file system\n";
        expected.append("var: overlaid\n").append(rest);
        // uid 1000 may not write the root-owned /var and /run, as on the host (its shell says so on stderr)
        expectedUser.append(rest.replace("run: own\n", ""));
        for (int uid : new int[] {0, 1000}) {
            RockerRequest req = fx.request(image, "ro-" + uid, "/var").uid(uid).gid(uid).execDir("/opt/rocker-test-ro").build();
            String out = run(req, RockerCaller.engine(), script.toString());
            assertEquals("uid " + uid, (uid == 0 ? expected : expectedUser).toString(), out);
            Path data = fx.work.resolve("data-ro-" + uid);
            assertEquals("t\n", Files.readString(data.resolve("private/tmp/rocker-probe")));
            if (uid == 0) assertEquals("r\n", Files.readString(data.resolve("private/run/rocker-probe")));
        }
        assertEquals("the host's top-level dirs are unchanged", before, hostListing(dirs));
        assertFalse(Files.exists(Path.of("/tmp/rocker-probe")));
        assertFalse(Files.exists(Path.of("/run/rocker-probe")));
        assertFalse(Files.exists(Path.of("/var/rocker-probe")));
        assertEquals(readAhead, Files.readString(Path.of("/sys/block/vda/queue/read_ahead_kb")));
    }

    @Test
    public void sharedDirsAndDevicesOnPurpose() throws Exception {
        Path image = Images.build(fx.work, "share", Map.of("marker", "x\n"));
        Path rw = Files.createDirectory(fx.work.resolve("shared-rw"));
        Path ro = Files.createDirectory(fx.work.resolve("shared-ro"));
        Path node = Path.of("/dev/rocker-test-null-" + ProcessHandle.current().pid());
        assertEquals(0, new ProcessBuilder("mknod", "-m", "0666", node.toString(), "c", "1", "3").start().waitFor());
        try {
            RockerRequest req = fx.request(image, "share").uid(0).gid(0).execDir("/opt/rocker-test-share")
                    .sharedDirs(List.of(SharedDir.readWrite(rw.toString()), SharedDir.readOnly(ro.toString())))
                    .devices(List.of(node.toString())).build();
            String out = run(req, RockerCaller.engine(), String.join("\n",
                    "echo hi > " + rw + "/f && echo rw: ok",
                    "(echo hi > " + ro + "/f) 2>&1 | sed 's/.*: //'",
                    "echo x > " + node + " && echo device: ok",
                    "echo dev: $(ls /dev | grep rocker-test | wc -l)"));
            assertEquals("rw: ok\nRead-only file system\ndevice: ok\ndev: 1\n", out);
            assertEquals("hi\n", Files.readString(rw.resolve("f")));
            assertFalse(Files.exists(ro.resolve("f")));
        } finally {
            Files.deleteIfExists(node);
        }
    }

    @Test
    public void aUserSharesOnlyItsOwnDirsAndDevicesItCanOpen() throws Exception {
        HostUser user = attacker.user;
        Path image = Images.build(fx.work, "user", Map.of("marker", "x\n"));
        Files.setPosixFilePermissions(image, PosixFilePermissions.fromString("rw-r--r--"));
        Path own = Files.createDirectory(attacker.home.resolve("own"));
        user.chown(own);
        RockerRequest.Builder req = RockerRequest.builder().appId(3).uid(user.uid).gid(user.gid).pkgPath(image.toString())
                .execDir("/srv/rocker-test-exec").overlayDirs("/srv");
        RockerResult disk = enter(req.dataDir(attacker.home.resolve("d1").toString()).devices(List.of("/dev/vda")).build(),
                RockerApp.of("/bin/true"), Attacker.callerOf(user));
        assertEquals(disk.toString(), RockerError.SYS, disk.error());
        assertEquals("permission denied: devices '/dev/vda': uid " + user.uid + " may not open it", disk.message());
        RockerResult roots = enter(req.dataDir(attacker.home.resolve("d2").toString()).devices(List.of())
                .sharedDirs(List.of(SharedDir.readWrite(fx.work.toString()))).build(), RockerApp.of("/bin/true"), Attacker.callerOf(user));
        assertEquals(roots.toString(), RockerError.SYS, roots.error());
        assertTrue(roots.message(), roots.message().startsWith("permission denied: shared_dirs '" + fx.work + "': must be a dir of uid " + user.uid));
        String out = run(req.dataDir(attacker.home.resolve("d3").toString()).sharedDirs(List.of(SharedDir.readWrite(own.toString())))
                .build(), Attacker.callerOf(user), "echo mine > " + own + "/f && echo shared: ok");
        assertEquals("shared: ok\n", out);
        assertEquals("mine\n", Files.readString(own.resolve("f")));
        assertEquals(user.uid, Files.getAttribute(own.resolve("f"), "unix:uid"));
    }

    /** A host dir its admin bound read-only stays read-only when a client shares it read-write. */
    @Test
    public void aReadOnlyHostDirSharedReadWriteStaysReadOnly() throws Exception {
        Path image = Images.build(fx.work, "roshare", Map.of("marker", "x\n"));
        Path dir = Files.createDirectory(fx.work.resolve("ro-bound"));
        assertEquals(0, new ProcessBuilder("mount", "--bind", dir.toString(), dir.toString()).start().waitFor());
        try {
            assertEquals(0, new ProcessBuilder("mount", "-o", "remount,bind,ro", dir.toString()).start().waitFor());
            RockerRequest req = fx.request(image, "roshare").uid(0).gid(0).execDir("/opt/rocker-test-roshare")
                    .sharedDirs(List.of(SharedDir.readWrite(dir.toString()))).build();
            String out = run(req, RockerCaller.engine(), "(echo hi > " + dir + "/f) 2>&1 | sed 's/.*: //'");
            assertEquals("Read-only file system\n", out);
            assertFalse(Files.exists(dir.resolve("f")));
        } finally {
            new ProcessBuilder("umount", dir.toString()).start().waitFor();
        }
    }

    /**
     * An immutable host dir (chattr +i) answers the write check with EPERM, which says nothing about its
     * mount: shared read-write it is bound read-write on a writable mount and read-only on a read-only one
     * (the rocker's own mount, the last one on the path).
     */
    @Test
    public void anImmutableDirSharedReadWriteKeepsItsMountsMode() throws Exception {
        Path image = Images.build(fx.work, "immutable", Map.of("marker", "x\n"));
        Path rw = Files.createDirectory(fx.work.resolve("immutable-rw"));
        Path ro = Files.createDirectory(fx.work.resolve("immutable-ro"));
        try {
            assertEquals(0, new ProcessBuilder("chattr", "+i", rw.toString(), ro.toString()).start().waitFor());
            assertEquals(0, new ProcessBuilder("mount", "--bind", ro.toString(), ro.toString()).start().waitFor());
            assertEquals(0, new ProcessBuilder("mount", "-o", "remount,bind,ro", ro.toString()).start().waitFor());
            RockerRequest req = fx.request(image, "immutable").uid(0).gid(0).execDir("/opt/rocker-test-immutable")
                    .sharedDirs(List.of(SharedDir.readWrite(rw.toString()), SharedDir.readWrite(ro.toString()))).build();
            String out = run(req, RockerCaller.engine(), "for d in " + rw + " " + ro + "; do"
                    + " awk -v d=\"$d\" '$5 == d { split($6, o, \",\"); m = o[1] } END { print m }' /proc/self/mountinfo; done");
            assertEquals("rw\nro\n", out);
        } finally {
            new ProcessBuilder("umount", ro.toString()).start().waitFor();
            new ProcessBuilder("chattr", "-i", rw.toString(), ro.toString()).start().waitFor();
        }
    }

    /** The refusal of a {@code field} {@code path} that leads into /dev through a symbolic link (the host's /dev here). */
    String intoDevRefusal(String field, String path) {
        return field + " '" + path + "': lies in /dev, /proc or /sys (through a symbolic link)";
    }

    /**
     * A data dir or a shared dir may not lie in /dev, /proc or /sys (the request rules refuse those names);
     * reached through a symbolic link, it is refused when it is opened, and nothing is made there.
     */
    @Test
    public void aDataDirOrSharedDirThroughASymlinkIntoDevIsRefused() throws Exception {
        Path image = Images.build(fx.work, "intodev", Map.of("marker", "x\n"));
        Path link = Files.createSymbolicLink(fx.work.resolve("to-shm"), Path.of("/dev/shm"));
        String name = "rocker-test-" + System.nanoTime();
        RockerRequest data = fx.request(image, "intodev").uid(0).gid(0).execDir("/opt/rocker-test-intodev")
                .dataDir(link.resolve(name).toString()).build();
        RockerResult r = enter(data, RockerApp.of("/bin/true"), RockerCaller.engine());
        assertEquals(r.toString(), RockerError.PARAM_INVALID, r.error());
        assertEquals(intoDevRefusal("app_data_dir", link.resolve(name).toString()), r.message());
        assertFalse("nothing on the host's /dev/shm", Files.exists(Path.of("/dev/shm", name)));
        Files.createDirectory(Path.of("/dev/shm", name));
        try {
            RockerRequest share = fx.request(image, "intodev").uid(0).gid(0).execDir("/opt/rocker-test-intodev")
                    .sharedDirs(List.of(SharedDir.readWrite(link.resolve(name).toString()))).build();
            RockerResult s = enter(share, RockerApp.of("/bin/true"), RockerCaller.engine());
            assertEquals(s.toString(), RockerError.PARAM_INVALID, s.error());
            assertEquals(intoDevRefusal("shared_dirs", link.resolve(name).toString()), s.message());
        } finally {
            Files.delete(Path.of("/dev/shm", name));
        }
        assertTrue(fx.engine.list().isEmpty());
    }

    /** A root client's missing data-dir parents are made root 0755, whatever the engine's umask. */
    @Test
    public void aRootClientsMissingDataDirParentsAre0755() throws Exception {
        Path image = Images.build(fx.work, "parents", Map.of("marker", "x\n"));
        Path parent = fx.work.resolve("new-parent");
        RockerRequest req = fx.request(image, "parents").uid(0).gid(0).execDir("/opt/rocker-test-parents")
                .dataDir(parent.resolve("a/data").toString()).build();
        assertEquals("", run(req, RockerCaller.engine(), "true"));
        for (Path p : List.of(parent, parent.resolve("a"))) {
            assertEquals(p.toString(), "rwxr-xr-x", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
        }
    }
}
