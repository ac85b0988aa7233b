package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.RuleChain;

import rocker.api.RockerApp;
import rocker.api.RockerCaller;
import rocker.api.RockerRequest;
import rocker.api.Stdio;
import rocker.impl.linux.sys.Credentials;
import rocker.impl.linux.sys.Fd;
import rocker.impl.linux.sys.Posix;

/**
 * What a failed build made for a user (a FILE stdout, a new data dir) is removed again by its name in the
 * dir it was made in, and only while that name is still what the build made: a user who swaps a dir on
 * the path for a link to /proc/self/fd/N (the engine's own descriptors, which a thread of the engine can
 * follow whatever its credentials) or puts another file under the name loses nothing, and makes the engine
 * remove nothing it did not make.
 */
public class RollbackByNameTest {
    private final EngineFixture fx = new EngineFixture();
    private final Attacker attacker = new Attacker(fx);
    @Rule
    public final RuleChain rules = RuleChain.outerRule(fx).around(attacker);

    private RockerCaller user() {
        return Attacker.callerOf(attacker.user);
    }

    private RockerRequest.Builder request(String dataDir) {
        return fx.request(fx.work.resolve("none.squashfs"), "r").uid(attacker.user.uid).gid(attacker.user.gid).dataDir(dataDir);
    }

    private AppStdio openStdout(Path file) {
        return openStdout(file.toString());
    }

    private AppStdio openStdout(String file) {
        RockerApp app = RockerApp.builder().command("/bin/true").stdin(Stdio.discard()).stdout(Stdio.file(file))
                .stderr(Stdio.discard()).build();
        return AppStdio.open(app, request(attacker.home.resolve("data").toString()).build(), user(), null);
    }

    /** A dir the user owns but cannot reach by path (in a root-only dir), with {@code name} in it; this JVM holds it open. */
    private Path unreachable(String name, boolean dir) throws Exception {
        Path guarded = Files.createDirectory(fx.work.resolve("root-only"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        Path held = Files.createDirectory(guarded.resolve("held"));
        attacker.user.chown(held);
        Path victim = dir ? Files.createDirectory(held.resolve(name)) : Files.createFile(held.resolve(name));
        attacker.user.chown(victim);
        return held;
    }

    /** Replaces dir {@code d} (moved aside to {@code d-real}) by the user's symlink to this JVM's descriptor {@code fd}. */
    private Path swapForMagicLink(Path d, int fd) throws Exception {
        Path real = d.resolveSibling(d.getFileName() + "-real");
        Files.move(d, real, StandardCopyOption.ATOMIC_MOVE);
        Files.createSymbolicLink(d, Path.of("/proc/self/fd/" + fd));
        attacker.user.chown(d);
        return real;
    }

    @Test
    public void aFileMadeForAFailedBuildIsRemovedWhileEmpty() throws Exception {
        Path out = attacker.home.resolve("out.txt");
        AppStdio s = openStdout(out);
        assertEquals(attacker.user.uid, Files.getAttribute(out, "unix:uid"));
        s.abort();
        assertFalse(Files.exists(out));
    }

    @Test
    public void aFileStdioPathWithTheMarkOfUndecodableBytesIsRefused() throws Exception {
        String out = attacker.home + "/d\uFFFD.txt"; // as a String: a JVM with an ASCII locale has no Path for it
        try {
            openStdout(out);
            org.junit.Assert.fail("opened");
        } catch (rocker.api.RockerException e) {
            assertEquals(rocker.api.RockerError.PARAM_INVALID, e.error());
            assertEquals("stdout '" + out + "': contains U+FFFD, the mark of bytes that were not UTF-8 (paths are UTF-8)", e.getMessage());
        }
        int home = Posix.open(attacker.home.toString(), Posix.O_RDONLY | Fd.O_DIRECTORY, 0);
        try {
            assertEquals("nothing made", java.util.List.of(), Fd.names(home, "home"));
        } finally {
            Posix.close(home);
        }
    }

    @Test
    public void anotherFileUnderItsNameIsKept() throws Exception {
        Path out = attacker.home.resolve("out.txt");
        AppStdio s = openStdout(out);
        Path other = Files.createFile(attacker.home.resolve("other.txt"));
        attacker.user.chown(other);
        Object ino = Files.getAttribute(other, "unix:ino");
        Files.move(other, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        s.abort();
        assertTrue("the user's other file is kept", Files.exists(out));
        assertEquals(ino, Files.getAttribute(out, "unix:ino"));
    }

    @Test
    public void aMagicLinkSwappedInForTheFilesDirIsNotFollowed() throws Exception {
        magicLinkForTheFilesDir();
    }

    @Test
    public void aMagicLinkSwappedInForTheFilesDirIsNotFollowedByThePre56Walk() throws Exception {
        Fd.useOpenat2(false); // Attacker.after() sets it back
        magicLinkForTheFilesDir();
    }

    private void magicLinkForTheFilesDir() throws Exception {
        Path held = unreachable("out.txt", false);
        int heldFd = Posix.open(held.toString(), Posix.O_RDONLY | Fd.O_DIRECTORY, 0);
        try {
            Path sub = Files.createDirectory(attacker.home.resolve("sub"));
            attacker.user.chown(sub);
            AppStdio s = openStdout(sub.resolve("out.txt"));
            Path real = swapForMagicLink(sub, heldFd);
            // the attack is live: a thread of this JVM with the user's credentials reaches the held dir's file
            long reached = Credentials.as(attacker.user.uid, attacker.user.gid, java.util.List.of(), () -> {
                int fd = Posix.open(sub + "/out.txt", Posix.O_RDONLY, 0);
                try {
                    return Fd.stat(fd, "out.txt").ino;
                } finally {
                    Posix.close(fd);
                }
            });
            assertEquals(Files.getAttribute(held.resolve("out.txt"), "unix:ino"), reached);
            s.abort();
            assertTrue("the file in the held dir is kept", Files.exists(held.resolve("out.txt")));
            assertTrue("the file the build made is kept too (its path is gone)", Files.exists(real.resolve("out.txt")));
        } finally {
            Posix.close(heldFd);
        }
    }

    /** The data dir opened as the mount worker does: with the user's credentials, on a thread thrown away after. */
    private DataDir openDataDir(Path dir) throws Exception {
        DataDir data = new DataDir(request(dir.toString()).build(), user());
        Thread t = new Thread(data::open);
        t.start();
        t.join();
        assertTrue(Files.isDirectory(dir));
        return data;
    }

    @Test
    public void aNewDataDirOfAFailedBuildIsRemovedWhileEmpty() throws Exception {
        Path dir = attacker.home.resolve("data");
        DataDir data = openDataDir(dir);
        assertEquals(attacker.user.uid, Files.getAttribute(dir, "unix:uid"));
        data.rollback();
        data.close();
        assertFalse(Files.exists(dir));
    }

    @Test
    public void aMagicLinkSwappedInForANewDataDirsParentIsNotFollowed() throws Exception {
        Path held = unreachable("data", true);
        int heldFd = Posix.open(held.toString(), Posix.O_RDONLY | Fd.O_DIRECTORY, 0);
        try {
            Path sub = Files.createDirectory(attacker.home.resolve("sub"));
            attacker.user.chown(sub);
            DataDir data = openDataDir(sub.resolve("data"));
            Path real = swapForMagicLink(sub, heldFd);
            data.rollback();
            data.close();
            assertTrue("the held dir's empty dir is kept", Files.isDirectory(held.resolve("data")));
            assertTrue("the data dir this build made is kept too (its path is gone)", Files.isDirectory(real.resolve("data")));
        } finally {
            Posix.close(heldFd);
        }
    }
}
