package rocker.impl.linux;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import rocker.impl.linux.sys.Errno;
import rocker.impl.linux.sys.Fd;
import rocker.impl.linux.sys.Posix;
import rocker.impl.linux.sys.Stat;
import rocker.impl.linux.sys.SysException;

/**
 * The lock files of {@link DataDirLock} in {@code <state dir>/locks/}, one per locked dir
 * ({@code DEV-INO.lock}). They are reused while they stay (a rocker restarted on its data dir makes
 * none, and creating files costs a start milliseconds on a journaling file system), and they do not
 * pile up: a refused or failed build removes the ones it locked that nobody holds ({@link #removeIfFree}),
 * and {@link #sweep} removes every file nobody holds, at reconciliation and once as many files were made
 * as the last sweep kept (at least {@value #SWEEP_AFTER}): a sweep reads every lock file, the live rockers' too (~6 each), so
 * sweeping stays proportional to what is made (with 500 live rockers a sweep every 256 files cost
 * ~3,000 opens and locks every ~20 starts). A file is removed only by whoever holds its exclusive lock and
 * sees it still linked, so a name is never unlinked from under another holder; a locker checks, once it
 * holds a lock, that its file is still linked, and else opens the name again. A remover holds a lock for
 * microseconds, so a locker that finds one busy tries again briefly before it reports the dir in use.
 */
final class LockFiles {
    private static final Logger LOG = LoggerFactory.getLogger(LockFiles.class);
    private static final String SUFFIX = ".lock";
    private static final int BUSY_TRIES = 4;

    private LockFiles() {
    }

    /** An open lock file {@code name}, locked as asked or not (then held by someone else); {@code made}: made by this call (empty). */
    static final class Lock {
        final String name;
        final int fd;
        final boolean taken;
        final boolean made;

        Lock(String name, int fd, boolean taken, boolean made) {
            this.name = name;
            this.fd = fd;
            this.taken = taken;
            this.made = made;
        }

        /** Writes the holder's text (rocker name, dir) into the lock file now held. */
        void write(String text, String what) {
            if (made) {
                Fd.writeAll(fd, text.getBytes(java.nio.charset.StandardCharsets.UTF_8), what); // new and empty
            } else {
                Fd.rewrite(fd, text, what);
            }
        }
    }

    static String name(Stat dir) {
        return Long.toHexString(dir.dev) + "-" + Long.toHexString(dir.ino) + SUFFIX;
    }

    /** Lock files made since the last sweep (in this JVM): a sweep is due once there are many. */
    private static final java.util.concurrent.atomic.AtomicInteger MADE = new java.util.concurrent.atomic.AtomicInteger();
    /** The fewest new lock files that make a sweep due (they are reused while they stay: a restart makes none). */
    static final int SWEEP_AFTER = 256;
    /** How many new lock files make the next sweep due: as many as the last sweep kept, at least {@link #SWEEP_AFTER}. */
    private static volatile int sweepAfter = SWEEP_AFTER;

    /** Whether enough lock files were made since the last sweep to sweep again. */
    static boolean sweepDue() {
        return MADE.get() >= sweepAfter;
    }

    /** Lock files made since the last sweep (in this JVM). */
    static int made() {
        return MADE.get();
    }

    /** The number of new lock files that make the next sweep due. */
    static int sweepAfter() {
        return sweepAfter;
    }

    /**
     * The lock file of {@code dir}, locked with {@code operation} (LOCK_SH or LOCK_EX) if it can be;
     * {@code likelyThere}: the file is opened first and made only when missing (a dir above a data dir,
     * whose lock file other rockers made), else made first (a new data dir's).
     */
    static Lock lock(int locksDir, Stat dir, int operation, boolean likelyThere) {
        String name = name(dir);
        for (int attempt = 0;; attempt++) {
            int fd = likelyThere ? Fd.tryOpenat(locksDir, name, Posix.O_RDWR | Fd.O_NOFOLLOW, 0) : -Errno.ENOENT;
            boolean made = false;
            if (fd < 0) {
                if (-fd != Errno.ENOENT) throw new SysException("open", "the lock " + name, -fd);
                long opened = open(locksDir, name);
                fd = (int) opened;
                made = opened > Integer.MAX_VALUE;
            }
            boolean taken = false;
            Stat held;
            try {
                for (int busy = 0; busy < BUSY_TRIES && !(taken = Fd.tryLock(fd, operation, name)); busy++) {
                    pause();
                }
                held = taken ? Fd.stat(fd, name) : null;
            } catch (RuntimeException | Error e) {
                Posix.close(fd); // and the lock, if it was taken
                throw e;
            }
            if (!taken || held.nlink > 0) {
                // made by us and still empty: no other build held it between the create and our lock
                return new Lock(name, fd, taken, made && taken && held.size == 0);
            }
            Posix.close(fd); // swept meanwhile: lock the file that now has the name
            if (attempt >= 16) {
                // never a lock on a file no longer linked: another locker would lock the file that has the name
                throw new SysException("lock", "the lock " + name + " (removed under this lock 16 times)", Errno.EAGAIN);
            }
        }
    }

    /**
     * Opens the lock file, making it when missing (counted, so that sweeps keep up with what is made): made
     * with O_EXCL first (a new data dir's locks are new), else opened as it is; a file swept in between is
     * made again. The descriptor, plus {@link #MADE_BY_US} when this call made the file.
     */
    private static long open(int locksDir, String name) {
        for (int attempt = 0;; attempt++) {
            int fd = Fd.tryOpenat(locksDir, name, Posix.O_RDWR | Posix.O_CREAT | Posix.O_EXCL | Fd.O_NOFOLLOW, 0600);
            if (fd >= 0) {
                MADE.incrementAndGet();
                return fd | MADE_BY_US;
            }
            if (-fd != Errno.EEXIST) throw new SysException("open", "the lock " + name, -fd);
            fd = Fd.tryOpenat(locksDir, name, Posix.O_RDWR | Fd.O_NOFOLLOW, 0);
            if (fd >= 0) return fd;
            if (-fd != Errno.ENOENT || attempt >= 16) throw new SysException("open", "the lock " + name, -fd);
        }
    }

    private static final long MADE_BY_US = 1L << 32;

    private static void pause() {
        try {
            Thread.sleep(2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The rocker that wrote its name in the lock file when it took its exclusive lock. */
    static String holder(int fd) {
        try {
            String text = Fd.readStart(fd, 256, "a lock file");
            int nl = text.indexOf('\n');
            return nl > 0 ? text.substring(0, nl) : "?";
        } catch (SysException e) {
            return "?";
        }
    }

    /**
     * Removes the lock file {@code name} if nobody holds it: opened, locked exclusively without waiting, and
     * unlinked only while still linked (whoever unlinks a lock file holds its exclusive lock, so while this
     * call holds it and the file has a link, the name is this file's). True when removed, false when held
     * (or gone meanwhile).
     */
    static boolean removeIfFree(int locksDir, String name) {
        int fd;
        try {
            fd = Fd.openat(locksDir, name, Posix.O_RDONLY | Fd.O_NOFOLLOW, 0, name);
        } catch (SysException e) {
            return false; // gone meanwhile
        }
        try {
            return Fd.tryLock(fd, Fd.LOCK_EX, name) && Fd.stat(fd, name).nlink > 0 && Fd.unlinkat(locksDir, name, 0);
        } catch (SysException e) {
            if (e.errno() != Errno.ENOENT) LOG.debug("cannot remove the lock {}: {}", name, e.getMessage());
            return false;
        } finally {
            Posix.close(fd);
        }
    }

    /** Removes the lock files nobody holds; returns how many. The next sweep is due once as many were made as this one kept. */
    static int sweep(int locksDir) {
        MADE.set(0);
        int removed = 0;
        int kept = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(Path.of(Fd.procPath(locksDir)), "*" + SUFFIX)) {
            for (Path f : files) {
                if (removeIfFree(locksDir, f.getFileName().toString())) removed++;
                else kept++;
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot sweep the lock dir: {}", e.toString());
        }
        sweepAfter = Math.max(SWEEP_AFTER, kept);
        return removed;
    }
}
