package rocker.impl.linux;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.RuleChain;

import rocker.api.RockerApp;
import rocker.api.RockerCaller;
import rocker.api.RockerError;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.impl.linux.sys.Fd;
import rocker.impl.linux.sys.Posix;
import rocker.impl.linux.sys.Stat;
import rocker.testsupport.Images;
import rocker.testsupport.KernelView;

/**
 * A loop device only ever reads a file that only root can change (docs/security.md, "Images only root can
 * change"): a user's own image (or one writable by a group, by every user, through an ACL) is copied first,
 * so that rewriting it under a live rocker changes nothing mounted; an image owned by root and writable by
 * root only is mounted as it is. Real users, real loop devices; the page cache is dropped so that the
 * mount reads its device again.
 */
public class ImageCopyTest {
    private final EngineFixture fx = new EngineFixture();
    private final Attacker attacker = new Attacker(fx);

    @Rule
    public final RuleChain rules = RuleChain.outerRule(fx).around(attacker);

    private static final String EXEC = "/srv/rocker-test-exec";

    /** An image of one file, "marker", with {@code marker} in it (all the same length: one layout). */
    private Path image(String name, String marker) throws Exception {
        return Images.build(fx.work, name, Map.of("marker", marker));
    }

    /** A rocker of {@code image} for the attacker, its app a shell that sleeps (it reads nothing of the image). */
    private RockerResult usersRocker(Path image, String data) throws Exception {
        Path dir = Files.createDirectory(attacker.home.resolve(data));
        attacker.user.chown(dir);
        RockerRequest request = RockerRequest.builder().appId(9).uid(attacker.user.uid).gid(attacker.user.gid)
                .pkgPath(image.toString()).execDir(EXEC).dataDir(dir.toString()).overlayDirs("/srv").build();
        return fx.engine.enterRocker(request, RockerApp.of("/bin/sh", "-c", "exec sleep 600"), Attacker.callerOf(attacker.user));
    }

    /** The marker as the rocker's app sees it now, or the error reading it. */
    private static String seenBy(RockerResult r) {
        try {
            return Files.readString(Path.of("/proc/" + r.appPid() + "/root" + EXEC + "/marker"));
        } catch (IOException e) {
            return "unreadable: " + e;
        }
    }

    /** The file behind the one loop device of this test ("loopN=FILE"). */
    private String onlyLoop() throws IOException {
        Set<String> loops = fx.ourLoops();
        assertEquals("one loop device: " + loops, 1, loops.size());
        String l = loops.iterator().next();
        return l.substring(l.indexOf('=') + 1);
    }

    /** Overwrites {@code image} in place (same inode) with {@code with}, as the attacker, then drops the loop device's cache. */
    private void rewriteAsTheUser(Path image, Path with) throws Exception {
        String[] done = attacker.user.runAs("sh", "-c", "cat '" + with + "' > '" + image + "'");
        assertEquals(done[1], "0", done[0]);
        dropLoopCache();
    }

    /**
     * The page cache of the test's loop device dropped ({@code blockdev --flushbufs}: the blocks its mount read
     * ahead), so that the mount reads its file again; the app read nothing of the image, so squashfs caches none of it.
     */
    private void dropLoopCache() throws Exception {
        String loop = fx.ourLoops().iterator().next();
        Process p = new ProcessBuilder("blockdev", "--flushbufs", "/dev/" + loop.substring(0, loop.indexOf('='))).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals("blockdev: " + out, 0, p.waitFor());
    }

    @Test
    public void aUsersOwnImageIsCopiedSoItsRewriteUnderALiveRockerChangesNothingMounted() throws Exception {
        Path image = image("mine", "mine\n");
        Path other = image("evil", "evil\n");
        assertEquals("the test rewrites with the same size", Files.size(image), Files.size(other));
        attacker.user.chown(image);
        RockerResult r = usersRocker(image, "data");
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        String backing = onlyLoop();
        assertTrue("the loop device reads an unnamed copy in the state dir: " + backing,
                backing.startsWith(fx.copies() + "/") && backing.endsWith(" (deleted)"));

        rewriteAsTheUser(image, other);
        assertEquals("the rocker's mount still reads what was copied", "mine\n", seenBy(r));
        assertEquals("the copy is gone with its last loop device", RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
        assertTrue(KernelView.eventually(EngineFixture.SETTLE, () -> fx.ourLoops().isEmpty()));
        try (var names = Files.list(fx.copies())) {
            assertEquals("no name was ever made for a copy", List.of(), names.toList());
        }
    }

    /** A root client's image that a user can write is copied too: no loop device reads a file a user can change. */
    @Test
    public void aRootClientsImageThatAUserCanWriteIsCopiedToo() throws Exception {
        Path image = image("users", "mine\n");
        attacker.user.chown(image);
        RockerResult r = fx.engine.enterRocker(fx.request(image, "root").build(), RockerApp.of("/bin/sh", "-c", "exec sleep 600"));
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        String backing = onlyLoop();
        assertTrue("a copy backs it: " + backing, backing.startsWith(fx.copies() + "/") && backing.endsWith(" (deleted)"));
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
    }

    /** Nor through a /proc magic link, for a root client either: /proc/PID/root leads into other mount namespaces, a user's own. */
    @Test
    public void aRootClientsImagePathThroughAProcMagicLinkIsRefused() throws Exception {
        Path image = image("magic", "mine\n");
        String through = "/proc/self/root" + image;
        RockerResult r = fx.engine.enterRocker(fx.request(image, "magic").pkgPath(through).build(), RockerApp.of("/bin/true"));
        assertEquals(r.toString(), RockerError.PARAM_INVALID, r.error());
        assertEquals("app_pkg_path '" + through + "': is a symbolic link: name the image file itself", r.message());
        assertEquals(Set.of(), fx.ourLoops());
    }

    /** The control of the test above: the same rewrite of an image mounted as it is reaches the rocker. */
    @Test
    public void anImageOnlyRootCanChangeIsMountedAsItIs() throws Exception {
        Path image = image("roots", "mine\n");
        Path other = image("evil", "evil\n");
        assertEquals(Files.size(image), Files.size(other));
        RockerResult r = usersRocker(image, "data");
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        assertEquals("no copy: the image itself backs the loop device", image.toString(), onlyLoop());

        Files.write(image, Files.readAllBytes(other)); // only root can: the same inode, rewritten
        dropLoopCache();
        assertEquals("the rewrite reaches the mount (why a file others can change is copied)", "evil\n", seenBy(r));
    }

    @Test
    public void aUsersImageOverTheCopyLimitIsRefusedAndChangesNothing() throws Exception {
        Path image = image("big", "mine\n");
        attacker.user.chown(image);
        long size = Files.size(image);
        fx.engine.imageCopyLimit(size - 1);
        RockerResult r = usersRocker(image, "data");
        assertEquals(r.toString(), RockerError.PARAM_INVALID, r.error());
        assertEquals("app_pkg_path '" + image + "': it is owned by uid " + attacker.user.uid + ", so root mounts a copy of it, and its "
                + size + " bytes are more than imageCopyMaxMiB (" + (size - 1) + " bytes): install it owned by root and writable by root only,"
                + " on a local file system mounted without nosuid and nodev, not on a loop or network block device",
                r.message());
        assertEquals(List.of(), fx.engine.list());
        assertEquals(Set.of(), fx.ourLoops());
    }

    /** Who besides root may change an open image, in the words of the refusal; null: nobody. */
    private String whyCopied(Path file) {
        int fd = Posix.open(file.toString(), Posix.O_RDONLY, 0);
        try {
            return ImageSource.whyCopied(fd, Fd.stat(fd, file.toString()), file.toString());
        } finally {
            Posix.close(fd);
        }
    }

    @Test
    public void anImageIsCopiedUnlessOnlyRootCanChangeIt() throws Exception {
        Path f = image("modes", "mine\n");
        assertNull(whyCopied(f));
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-rw-r--"));
        assertEquals("it is writable by group 0", whyCopied(f));
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--rw-"));
        assertEquals("it is writable by every user", whyCopied(f));
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        attacker.user.chown(f);
        assertEquals("it is owned by uid " + attacker.user.uid, whyCopied(f));
        Files.setAttribute(f, "unix:uid", 0);
        Files.setAttribute(f, "unix:gid", 0);
        assertNull(whyCopied(f));
        // an ACL that lets a user write it: the group bits are the ACL's mask, which then has write
        Process p = new ProcessBuilder("setfacl", "-m", "u:" + attacker.user.uid + ":rw", f.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals("setfacl: " + out, 0, p.waitFor());
        assertEquals("it is writable by group 0", whyCopied(f));
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--")); // the ACL's mask: no write
        assertNull(whyCopied(f));

        // open for writing by someone (root made it read-only since: its writer keeps writing)
        try (java.io.RandomAccessFile writer = new java.io.RandomAccessFile(f.toFile(), "rw")) {
            assertEquals("it is open for writing", whyCopied(f));
        }
        assertNull(whyCopied(f));

        // on a mount a user could have made (udisks, fstab's "user", FUSE: all nosuid, nodev), whatever its device
        Path nosuid = Files.createDirectory(fx.work.resolve("nosuid"));
        mount("-t", "tmpfs", "-o", "nosuid,nodev,size=1m", "tmpfs", nosuid.toString());
        try {
            Path there = Files.copy(f, nosuid.resolve("image.squashfs"));
            Files.setPosixFilePermissions(there, PosixFilePermissions.fromString("rw-r--r--"));
            assertEquals("it is on a mount with nosuid or nodev, as a user's mounts are", whyCopied(there));
        } finally {
            mount("umount", nosuid.toString());
        }

        // on a file system on a loop device that root mounted (no nosuid, no nodev): its backing file may be a user's
        Path fsImage = fx.work.resolve("ext4.img");
        try (java.io.RandomAccessFile img = new java.io.RandomAccessFile(fsImage.toFile(), "rw")) {
            img.setLength(8 << 20);
        }
        run("mkfs.ext4", "-q", "-F", fsImage.toString());
        Path mnt = Files.createDirectory(fx.work.resolve("loop-mounted"));
        mount("-o", "loop", fsImage.toString(), mnt.toString());
        try {
            Path there = Files.copy(f, mnt.resolve("image.squashfs"));
            Files.setPosixFilePermissions(there, PosixFilePermissions.fromString("rw-r--r--"));
            String why = whyCopied(there);
            assertTrue(why, why.startsWith("it is on a file system on a loop device (7:") && why.endsWith("), whose backing file may be someone else's"));
        } finally {
            mount("umount", mnt.toString()); // the loop device goes with it (auto-clear)
        }
    }

    /**
     * Whoever opens the image for writing while the check holds its read lease breaks the lease, and the kernel
     * signals the lease's holder, the engine's JVM: with SIGIO, the default, that would end it.
     */
    @Test
    public void aWriterThatBreaksTheCheckersLeaseLeavesTheEngineRunning() throws Exception {
        Path f = image("leased", "mine\n");
        Process[] writer = new Process[1];
        assertEquals("leases are on (fs.leases-enable)", "1", Files.readString(Path.of("/proc/sys/fs/leases-enable")).trim());
        boolean[] broken = {false};
        rocker.impl.linux.sys.FileCopy.whileLeased = () -> {
            try {
                writer[0] = new ProcessBuilder("sh", "-c", "echo >> '" + f + "'").redirectErrorStream(true).start();
                // its open waits for the lease to be given back; the break (and its signal) comes first
                broken[0] = KernelView.eventually(java.time.Duration.ofSeconds(10),
                        () -> Files.readString(Path.of("/proc/locks")).contains("BREAKING"));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        };
        try {
            assertNull("nobody had it open for writing when the lease was taken", whyCopied(f));
        } finally {
            rocker.impl.linux.sys.FileCopy.whileLeased = null;
        }
        assertTrue("the writer broke the lease while it was held", broken[0]);
        assertTrue(writer[0].waitFor(10, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals("the writer went on once the lease was given back", 0, writer[0].exitValue());
        assertTrue("the engine's JVM is still here", fx.engine.list().isEmpty());
    }

    /** A rocker's own loop device (no shared mount) reads the copy too. */
    @Test
    public void aRockersOwnLoopDeviceReadsTheCopyToo() throws Exception {
        ImageHolders.share(false);
        try {
            Path image = image("own", "mine\n");
            Path other = image("evil", "evil\n");
            assertEquals(Files.size(image), Files.size(other));
            attacker.user.chown(image);
            RockerResult r = usersRocker(image, "data");
            assertEquals(r.toString(), RockerError.SUCCESS, r.error());
            String backing = onlyLoop();
            assertTrue("a copy backs it: " + backing, backing.startsWith(fx.copies() + "/") && backing.endsWith(" (deleted)"));
            rewriteAsTheUser(image, other);
            assertEquals("mine\n", seenBy(r));
        } finally {
            ImageHolders.share(true);
        }
    }

    private static void run(String... argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(String.join(" ", argv) + ": " + out, 0, p.waitFor());
    }

    /** mount(8) with {@code args}, or umount(8) when the first is "umount". */
    private static void mount(String... args) throws Exception {
        List<String> argv = new java.util.ArrayList<>(List.of(args));
        if (!argv.get(0).equals("umount")) argv.add(0, "mount");
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(argv + ": " + out, 0, p.waitFor());
    }

    /** The copy itself: unnamed, read-only, the user's (its blocks count against the user), the image's bytes. */
    @Test
    public void aUsersCopyIsAnUnnamedReadOnlyFileOfTheUserWithTheImagesBytes() throws Exception {
        Path image = image("copied", "mine\n");
        attacker.user.chown(image);
        Path dir = Files.createDirectory(fx.work.resolve("copies"));
        RockerCaller user = Attacker.callerOf(attacker.user);
        int dirFd = Posix.open(dir.toString(), Posix.O_RDONLY | Fd.O_DIRECTORY, 0);
        try (ImageSource source = ImageSource.open(image.toString(), user)) {
            assertTrue(source.needsCopy());
            source.copy(dirFd, 1L << 20);
            Stat s = Fd.stat(source.loopFd(), "the copy");
            assertEquals(attacker.user.uid, s.uid);
            assertEquals(attacker.user.gid, s.gid);
            assertEquals(0400, s.permissions());
            assertEquals("no name", 0, s.nlink);
            assertEquals(Files.size(image), s.size);
            byte[] copied = Files.readAllBytes(Path.of(Fd.procPath(source.loopFd())));
            assertArrayEquals(Files.readAllBytes(image), copied);
        } finally {
            Posix.close(dirFd);
        }
        try (var names = Files.list(dir)) {
            assertEquals(List.of(), names.toList());
        }
    }

    /** A copy onto another file system (copy_file_range says EXDEV there since Linux 5.19: sendfile then): the image's bytes, no name. */
    @Test
    public void aCopyOntoAnotherFileSystemHasTheImagesBytesAndNoName() throws Exception {
        Path image = image("across", "mine\n");
        attacker.user.chown(image);
        for (String type : List.of("tmpfs")) {
            Path dir = Files.createDirectory(fx.work.resolve("copies-" + type));
            mount("-t", type, "-o", "mode=0700", type, dir.toString());
            try {
                int dirFd = Posix.open(dir.toString(), Posix.O_RDONLY | Fd.O_DIRECTORY, 0);
                try (ImageSource source = ImageSource.open(image.toString(), Attacker.callerOf(attacker.user))) {
                    source.copy(dirFd, 1L << 20);
                    assertEquals(type + ": no name", 0, Fd.stat(source.loopFd(), "the copy").nlink);
                    assertArrayEquals(type, Files.readAllBytes(image), Files.readAllBytes(Path.of(Fd.procPath(source.loopFd()))));
                } finally {
                    Posix.close(dirFd);
                }
                try (var names = Files.list(dir)) {
                    assertEquals(type, List.of(), names.toList());
                }
            } finally {
                mount("umount", dir.toString());
            }
        }
    }
}
