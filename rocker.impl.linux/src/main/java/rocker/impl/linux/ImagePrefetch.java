package rocker.impl.linux;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import rocker.api.RockerApp;
import rocker.impl.linux.sys.Fd;
import rocker.impl.linux.sys.Posix;
import rocker.impl.linux.sys.Stat;
import rocker.impl.linux.sys.SysException;

/**
 * The first rocker of an image finds its app's executable warm (docs/engine.md, "Shared image mounts"):
 * once a new holder has mounted the image, a background thread has the app's file read into the page
 * cache through that mount ({@code posix_fadvise(WILLNEED)}: squashfs decompresses it on that thread),
 * while the rocker's plan goes on; the app's exec then finds it there. The path comes from the client
 * and names a file in the client's image (hostile): it is opened beneath the mount's root, never following
 * a symbolic link and refusing "." and ".." ({@link Fd#openBeneath}), only a regular file is read, at most
 * {@link #MAX_BYTES}, and nothing of it comes into this process.
 */
final class ImagePrefetch {
    private static final Logger LOG = LoggerFactory.getLogger(ImagePrefetch.class);
    /** The most of a file read ahead (an app's exec rarely touches more at once). */
    static final long MAX_BYTES = 8L << 20;

    /**
     * At most one read-ahead at a time, on a thread of its own: an image on a file system that stops
     * answering (a FUSE or network mount its owner controls) holds one thread and one mount, never the
     * holders' checks or refills, and never a queue of mounts; a new holder's read-ahead is skipped meanwhile.
     */
    private static final java.util.concurrent.Semaphore ONE = new java.util.concurrent.Semaphore(1);

    /** How long the read-ahead thread waits for the next new image before it ends. */
    static final int IDLE_SECONDS = MountInterpreter.IDLE_SECONDS;

    /**
     * The read-ahead thread, kept for {@value #IDLE_SECONDS} s between new images (as a mount worker): making a thread cost the
     * first rocker's lease ~0.16 ms (p50) on its caller's thread. Made by a caller of {@link #start} (in the
     * engine's namespace, never by a mount worker); {@link #ONE} keeps its queue at one read-ahead at most.
     */
    private static final java.util.concurrent.ThreadPoolExecutor READER = reader();

    private static java.util.concurrent.ThreadPoolExecutor reader() {
        java.util.concurrent.ThreadPoolExecutor pool = new java.util.concurrent.ThreadPoolExecutor(1, 1, IDLE_SECONDS,
                java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.LinkedBlockingQueue<>(), task -> {
                    Thread t = new Thread(task, "rocker-readahead");
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    private ImagePrefetch() {
    }

    /** How many read-aheads have ended (run or failed) since this class was loaded: for tests, which wait for one. */
    static long ended() {
        return READER.getCompletedTaskCount();
    }

    /** Whether no read-ahead is under way or waiting (so the next new image's is not skipped): for tests. */
    static boolean idle() {
        return ONE.availablePermits() == 1;
    }

    /** The mount's root (on the caller's thread, in the holder's namespace), or -1 (logged): a read-ahead is best effort. */
    static int openRoot(String mountPoint) {
        try {
            return Posix.open(mountPoint, Fd.O_PATH | Fd.O_DIRECTORY | Fd.O_NOFOLLOW, 0);
        } catch (SysException e) {
            LOG.debug("not read ahead: {}", e.getMessage());
            return -1;
        }
    }

    /** {@link #warm} on the read-ahead thread, which closes {@code rootFd}; skipped (closed at once) while another runs. */
    static void start(int rootFd, String relative, String image) {
        if (!ONE.tryAcquire()) {
            Posix.close(rootFd);
            LOG.debug("{} in image {} not read ahead: another read-ahead is under way", relative, image);
            return;
        }
        try {
            READER.execute(() -> {
                try {
                    warm(rootFd, relative, image);
                } catch (Throwable e) { // a best effort: a missing libc call, anything, only loses the read-ahead
                    LOG.debug("{} in image {} not read ahead: {}", relative, image, e.toString());
                } finally {
                    Posix.close(rootFd);
                    ONE.release();
                }
            });
        } catch (Throwable e) { // no thread could be made
            Posix.close(rootFd);
            ONE.release();
            LOG.debug("{} in image {} not read ahead: {}", relative, image, e.toString());
        }
    }

    /**
     * The app's executable as a path in its image, relative to the image's root: its command when that is
     * an absolute path under the exec dir; null otherwise (a command looked up on PATH, a file of the host).
     */
    static String pathInImage(String execDir, RockerApp app) {
        if (app == null || execDir == null || app.command().isEmpty()) return null;
        String command = app.command().get(0);
        String dir = execDir.endsWith("/") ? execDir : execDir + "/";
        if (!command.startsWith(dir) || command.length() == dir.length()) return null;
        return command.substring(dir.length());
    }

    /**
     * Reads the first {@link #MAX_BYTES} of the regular file {@code relative} beneath the mount root
     * {@code rootFd} into the page cache, on the calling thread. A path that is no regular file in the image
     * (a symbolic link anywhere, "..", missing) reads nothing; the app's own exec reports what is wrong.
     */
    static void warm(int rootFd, String relative, String image) {
        String what = relative + " in image " + image;
        int fd;
        try {
            fd = Fd.openBeneath(rootFd, relative, Posix.O_RDONLY | Posix.O_NONBLOCK | Posix.O_NOCTTY, 0, what);
        } catch (SysException e) {
            LOG.debug("not read ahead: {}", e.getMessage());
            return;
        }
        try {
            Stat st = Fd.stat(fd, what);
            if (!st.isRegular()) return;
            Fd.willNeed(fd, Math.min(st.size, MAX_BYTES), what);
        } catch (SysException e) {
            LOG.debug("not read ahead: {}", e.getMessage());
        } finally {
            Posix.close(fd);
        }
    }
}
