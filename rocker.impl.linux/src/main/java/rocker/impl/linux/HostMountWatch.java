package rocker.impl.linux;

import rocker.impl.linux.sys.Posix;
import rocker.impl.linux.sys.SysException;

/**
 * Tells when the host's mount table changed: a mount or unmount in the engine's own namespace, seen by
 * polling its {@code /proc/self/mountinfo} (POLLPRI and POLLERR once per change, Linux 2.6.15+). A
 * spare's namespace is a private copy made when it was spawned: a host mount made after that (a disk
 * mounted at /data) is not in it, and a data dir on that disk would be made in the dir under it. So
 * each spare notes the {@link #generation()} before it is spawned, and a request takes only spares of
 * the current one (docs/engine.md, "Spare guards").
 */
final class HostMountWatch implements AutoCloseable {
    /** What POLLPRI and POLLERR are in poll(2)'s revents. */
    private static final short CHANGED = 0x2 | 0x8;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(HostMountWatch.class);
    private int fd;
    private long generation;

    /** On the engine's own mount namespace (a thread of the JVM that did not setns; /proc/self is the process's). */
    HostMountWatch() {
        int f;
        try {
            f = Posix.open("/proc/self/mountinfo", Posix.O_RDONLY, 0);
        } catch (SysException e) {
            f = -1;
            LOG.warn("rocker engine: cannot watch the host's mounts ({}): a spare made before a host mount is still taken",
                    e.getMessage());
        }
        fd = f;
    }

    /** The number of changes seen so far (one poll, not blocking). */
    synchronized long generation() {
        if (fd >= 0 && (Posix.poll(new int[] {fd}, 0)[0] & CHANGED) != 0) generation++;
        return generation;
    }

    @Override
    public synchronized void close() {
        Posix.close(fd);
        fd = -1;
    }
}
