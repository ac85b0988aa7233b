package rocker.impl.linux.sys;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import rocker.testsupport.HostUser;

/**
 * The walk that opens a user's path on kernels without openat2 ({@link Fd#walkOutsideProc}) gives what the
 * kernel's own open gives (the same file, or the same errno), on the same thread credentials, for the cases
 * where a walk in user space could differ (found by review): trailing slashes, links in the last position
 * with O_NOFOLLOW and O_CREAT | O_EXCL, fs.protected_symlinks, "..", names too long; and only it refuses
 * a path into /proc.
 */
public class PathWalkTest {
    private Path dir;
    private HostUser user;

    @Before
    public void make() throws Exception {
        dir = Files.createTempDirectory("rocker-walk-");
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        user = HostUser.create("rk-w");
    }

    @After
    public void remove() throws Exception {
        try {
            user.close();
        } finally {
            Process p = new ProcessBuilder("rm", "-rf", dir.toString()).start();
            assertEquals(0, p.waitFor());
        }
    }

    /** "file", "dir" or "errno N" for what {@code open} gave (the descriptor closed). */
    private static String outcome(Supplier<Integer> open) {
        try {
            int fd = open.get();
            try {
                return Fd.stat(fd, "the test").isDir() ? "dir" : "file";
            } finally {
                Posix.close(fd);
            }
        } catch (SysException e) {
            return Errno.describe(e.errno());
        }
    }

    /** The kernel's open and the walk of {@code path} with {@code flags}, as root: their outcomes, which must be equal. */
    private static void same(String path, int flags) {
        String kernel = outcome(() -> Posix.open(path, flags, 0600));
        String walk = outcome(() -> Fd.walkOutsideProc(path, flags, 0600));
        assertEquals(path + " flags 0" + Integer.toOctalString(flags), kernel, walk);
    }

    @Test
    public void theWalkOpensWhatTheKernelOpens() throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "x");
        Path sub = Files.createDirectory(dir.resolve("sub"));
        Files.createSymbolicLink(dir.resolve("to-file"), Path.of("file"));
        Files.createSymbolicLink(dir.resolve("to-sub"), sub);
        Files.createSymbolicLink(sub.resolve("up"), Path.of(".."));
        Files.createSymbolicLink(dir.resolve("dangling"), Path.of("nowhere"));
        Files.createSymbolicLink(dir.resolve("loop"), Path.of("loop"));
        int rd = Posix.O_RDONLY;
        int nofollow = Fd.O_NOFOLLOW;
        int dirOnly = Fd.O_DIRECTORY;
        List<Object[]> cases = new ArrayList<>(List.of(
                new Object[] {file.toString(), rd},
                new Object[] {file + "/", rd},
                new Object[] {file + "/.", rd},
                new Object[] {sub + "/", rd | dirOnly},
                new Object[] {sub + "/.", rd},
                new Object[] {dir + "/to-file", rd},
                new Object[] {dir + "/to-file", rd | nofollow},
                new Object[] {dir + "/to-file/", rd},
                new Object[] {dir + "/to-sub/", rd | nofollow},
                new Object[] {dir + "/to-sub", rd | nofollow | dirOnly},
                new Object[] {dir + "/to-sub/up/file", rd},
                new Object[] {dir + "/to-sub/up/to-file", rd},
                new Object[] {sub + "/..", rd},
                new Object[] {dir + "/loop", rd},
                new Object[] {dir + "/missing", rd},
                new Object[] {dir + "/file/x", rd},
                new Object[] {dir + "/" + "n".repeat(300), rd},
                new Object[] {"/" + "a/".repeat(2100), rd}));
        for (Object[] c : cases) same((String) c[0], (Integer) c[1]);

        // creation: a dangling link with O_CREAT | O_EXCL is EEXIST, and nothing is made where it points
        int create = Posix.O_WRONLY | Posix.O_CREAT | 0200 /* O_EXCL */;
        same(dir + "/dangling", create);
        assertFalse("nothing made through the link", Files.exists(dir.resolve("nowhere")));
        same(dir + "/dangling", create | Fd.O_NOFOLLOW);
        same(dir + "/new-dir/", Posix.O_WRONLY | Posix.O_CREAT);
        same(dir + "/to-sub/", Posix.O_WRONLY | Posix.O_CREAT);
        same(dir + "/to-sub/.", rd | nofollow);
        same(sub + "/.", Posix.O_WRONLY | Posix.O_CREAT);
        same("", rd);
        assertEquals("file", outcome(() -> Fd.walkOutsideProc(dir + "/made-by-the-walk", Posix.O_WRONLY | Posix.O_CREAT, 0600)));
        assertEquals("file", outcome(() -> Posix.open(dir + "/made-by-the-kernel", Posix.O_WRONLY | Posix.O_CREAT, 0600)));
    }

    /** The same, as a user: a dir it may read but not search is no way in ("." in it is looked up, as the kernel does). */
    @Test
    public void theWalkChecksSearchPermissionAsTheKernelDoes() throws Exception {
        Path closed = Files.createDirectory(dir.resolve("closed"));
        Files.writeString(closed.resolve("file"), "x");
        Files.setPosixFilePermissions(closed, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        for (String path : List.of(closed + "/.", closed + "/file", closed.toString())) {
            String kernel = Credentials.as(user.uid, user.gid, List.of(), () -> outcome(() -> Posix.open(path, Posix.O_RDONLY, 0)));
            String walk = Credentials.as(user.uid, user.gid, List.of(), () -> outcome(() -> Fd.walkOutsideProc(path, Posix.O_RDONLY, 0)));
            assertEquals(path, kernel, walk);
        }
    }

    @Test
    public void onlyTheWalkRefusesAPathIntoProc() throws Exception {
        Files.createSymbolicLink(dir.resolve("proc"), Path.of("/proc/self"));
        for (String path : List.of(dir + "/proc/root" + dir, "/proc/self/root" + dir, "/dev/fd/0", "/proc/cpuinfo")) {
            assertEquals(path, Errno.describe(Errno.ELOOP), outcome(() -> Fd.walkOutsideProc(path, Posix.O_RDONLY, 0)));
        }
        assertEquals("the kernel follows the user's link to /proc", "dir", outcome(() -> Posix.open(dir + "/proc/root" + dir, Posix.O_RDONLY, 0)));
    }

    /** fs.protected_symlinks: a link in a sticky world-writable dir, neither the opener's nor the dir owner's, is not followed. */
    @Test
    public void anotherUsersLinkInAStickyDirIsRefusedAsTheKernelRefusesIt() throws Exception {
        Path sysctl = Path.of("/proc/sys/fs/protected_symlinks");
        String was = Files.readString(sysctl).trim();
        Files.writeString(sysctl, "1"); // as most distributions set it (this machine may not)
        try {
            stickyDirLink();
        } finally {
            Files.writeString(sysctl, was);
        }
        if (was.equals("0")) { // and with it off, both follow the link
            String path = dir.resolve("sticky/planted").toString();
            assertEquals("file", Credentials.as(user.uid, user.gid, List.of(), () -> outcome(() -> Posix.open(path, Posix.O_RDONLY, 0))));
            assertEquals("file", Credentials.as(user.uid, user.gid, List.of(), () -> outcome(() -> Fd.walkOutsideProc(path, Posix.O_RDONLY, 0))));
        }
    }

    private void stickyDirLink() throws Exception {
        Path sticky = Files.createDirectory(dir.resolve("sticky"));
        Files.setPosixFilePermissions(sticky, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.setAttribute(sticky, "unix:mode", 01777);
        Files.setAttribute(sticky, "unix:uid", 12345); // neither the link's owner (root) nor the opener
        Path target = Files.writeString(dir.resolve("users-file"), "x");
        user.chown(target);
        Files.createSymbolicLink(sticky.resolve("planted"), target); // root's link
        String path = sticky.resolve("planted").toString();
        String kernel = Credentials.as(user.uid, user.gid, List.of(), () -> outcome(() -> Posix.open(path, Posix.O_RDONLY, 0)));
        String walk = Credentials.as(user.uid, user.gid, List.of(), () -> outcome(() -> Fd.walkOutsideProc(path, Posix.O_RDONLY, 0)));
        assertEquals(Errno.describe(Errno.EACCES), kernel);
        assertEquals(kernel, walk);
        // the control: the same link, followed by its owner (root)
        assertEquals("file", outcome(() -> Fd.walkOutsideProc(path, Posix.O_RDONLY, 0)));
    }
}
