package rocker.impl.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import rocker.impl.linux.sys.Fd;
import rocker.impl.linux.sys.Posix;

/**
 * Which engines are alive on one state dir: each holds a shared {@code flock} on {@code STATE/engines.lock}
 * from its start to its close (a lock ends with its holder's process, however it ends). At its close, an
 * engine asks whether it is the {@linkplain #last() last}: only then may it release what no live engine
 * would otherwise release, such as an image's shared mount that no rocker uses (a server's idle holders
 * stay to it for their grace, whatever {@code rocker ls --local} closes meanwhile). The last one holds the
 * file exclusively until it is closed, so a new engine starts once that release is done.
 */
final class EnginePresence implements AutoCloseable {
    static final String FILE = "engines.lock";

    private final String path;
    private int fd;

    /** Opens (makes) the lock file and waits for a shared lock on it (an engine ending holds it exclusively). */
    EnginePresence(Path stateDir) {
        this.path = stateDir.resolve(FILE).toString();
        int dir = -1;
        try {
            Files.createDirectories(stateDir);
            dir = Fd.openNoMagicLinks(stateDir.toString(), Posix.O_RDONLY | Fd.O_DIRECTORY, 0);
            fd = Fd.openat(dir, FILE, Posix.O_RDWR | Posix.O_CREAT | Fd.O_NOFOLLOW, 0600, path);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot make the state dir " + stateDir + ": " + e.getMessage(), e);
        } finally {
            Posix.close(dir);
        }
        try {
            Fd.lock(fd, Fd.LOCK_SH, path);
        } catch (RuntimeException e) {
            Posix.close(fd);
            throw e;
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
