package rocker.impl.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import rocker.impl.linux.sys.Fd;
import rocker.impl.linux.sys.Errno;
import rocker.impl.linux.sys.Posix;
import rocker.impl.linux.sys.SysException;

/**
 * Which engines are alive on one state dir: each holds a shared {@code flock} on {@code STATE/engines.lock}
 * from its start to its close (a lock ends with its holder's process, however it ends). At its close, an
 * engine asks whether it is the {@linkplain #last() last}: only then may it release what no live engine
 * would otherwise release, such as an image's shared mount that no rocker uses (a server's idle holders
 * stay to it for their grace, whatever {@code rocker ls --local} closes meanwhile). The last one holds the
 * file exclusively until it is closed, so a new engine starts once that release is done.
 */
final class EnginePresence implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EnginePresence.class);
    static final String FILE = "engines.lock";
    /** How long a starting engine waits for one that stops (it releases image holders: bounded by their destroy timeouts). */
    static final Duration PATIENCE = Duration.ofSeconds(60);

    private final String path;
    private int fd;

    /**
     * Opens (makes) the lock file and waits up to {@code patience} for a shared lock on it (an engine that
     * stops holds it exclusively while it releases); a state dir that is no local file system's may not
     * honour flock(2) across processes: keep it on one (tmpfs, as /run).
     */
    EnginePresence(Path stateDir, Duration patience) {
        this.path = stateDir.resolve(FILE).toString();
        int dir = -1;
        try {
            Files.createDirectories(stateDir);
            dir = Fd.openNoMagicLinks(stateDir.toString(), Posix.O_RDONLY | Fd.O_DIRECTORY, 0);
            fd = Fd.openat(dir, FILE, Posix.O_RDONLY | Posix.O_CREAT | Fd.O_NOFOLLOW, 0600, path);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot make the state dir " + stateDir + ": " + e.getMessage(), e);
        } finally {
            Posix.close(dir);
        }
        try {
            if (!Fd.stat(fd, path).isRegular()) throw new SysException("open", path + " (not a regular file)", Errno.EINVAL);
            awaitShared(patience);
        } catch (RuntimeException e) {
            Posix.close(fd);
            throw e;
        }
    }

    private void awaitShared(Duration patience) {
        long start = System.nanoTime();
        boolean told = false;
        while (!Fd.tryLock(fd, Fd.LOCK_SH, path)) {
            long waited = System.nanoTime() - start;
            if (waited > patience.toNanos()) {
                throw new SysException("flock", path + " (held exclusively for " + patience.toMillis() + " ms: an engine that stops"
                        + " there does not end)", Errno.EAGAIN);
            }
            if (!told && waited > TimeUnit.SECONDS.toNanos(1)) {
                LOG.info("waiting for the engine that stops on {} to release its image mounts", path);
                told = true;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SysException("flock", path + " (interrupted while waiting)", Errno.EINTR);
            }
        }
    }

    /**
     * Whether no other engine is alive on the state dir: then this one holds the file exclusively until
     * {@link #close}. Asked once, at close: a failed attempt gives up this engine's shared lock (flock(2)
     * converts by unlocking first), so of engines that end together at least one finds itself last.
     */
    synchronized boolean last() {
        return fd >= 0 && Fd.tryLock(fd, Fd.LOCK_EX, path);
    }

    @Override
    public synchronized void close() {
        Posix.close(fd);
        fd = -1;
    }
}
