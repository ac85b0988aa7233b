package rocker.impl.linux.sys;

import jnr.ffi.Pointer;

/**
 * An epoll instance that reports readable descriptors (level-triggered, as poll(2) does), each event
 * naming its descriptor. Unlike poll(2), a wait costs the same with 500 descriptors registered as with
 * one: what is registered stays registered between waits. {@code struct epoll_event} is packed on
 * x86-64 (12 bytes, data at 4) and naturally aligned elsewhere (16 bytes, data at 8): {@link Arch}.
 */
public final class Epoll implements AutoCloseable {
    private static final int EPOLLIN = 0x001;
    private static final int EPOLL_CTL_ADD = 1;
    private static final int EPOLL_CTL_DEL = 2;
    /** Events one wait returns at most (the others come with the next wait). */
    public static final int MAX_EVENTS = 64;

    private final int fd;
    private volatile boolean closed;

    public Epoll() {
        fd = Native.events().epoll_create1(Posix.O_CLOEXEC);
        if (fd < 0) throw new SysException("epoll_create1", null, Native.errno());
    }

    /**
     * Reports {@code target} when it is readable, hung up or in error, until {@link #remove} or its close; any
     * thread may add while another waits.
     */
    public synchronized void add(int target) {
        if (closed) throw new SysException("epoll_ctl(EPOLL_CTL_ADD)", "fd " + target + " (the epoll instance is closed)", Errno.EBADF);
        Arch a = Arch.CURRENT;
        Pointer ev = Scratch.get(Scratch.STRUCT, a.epollEventSize);
        ev.putInt(0, EPOLLIN);
        ev.putLong(a.epollDataOffset, 0);
        ev.putInt(a.epollDataOffset, target); // data.fd: the union's first bytes (little-endian)
        if (Native.events().epoll_ctl(fd, EPOLL_CTL_ADD, target, ev) < 0) {
            throw new SysException("epoll_ctl(EPOLL_CTL_ADD)", "fd " + target, Native.errno());
        }
    }

    /** Stops reporting {@code target} (before it is closed: a duplicate would keep it registered); quiet, also once closed. */
    public synchronized void remove(int target) {
        if (closed) return;
        Native.events().epoll_ctl(fd, EPOLL_CTL_DEL, target, Scratch.get(Scratch.STRUCT, Arch.CURRENT.epollEventSize));
    }

    /**
     * Waits until a registered descriptor is ready (at most {@code timeoutMillis}, -1: no limit) and
     * writes the ready ones to {@code ready} (at least {@link #MAX_EVENTS} long); returns how many.
     */
    public int await(int[] ready, int timeoutMillis) {
        Arch a = Arch.CURRENT;
        Pointer events = Scratch.get(Scratch.SMALL, (long) a.epollEventSize * MAX_EVENTS);
        int n = (int) Interrupted.retry(() -> Native.events().epoll_wait(fd, events, MAX_EVENTS, timeoutMillis));
        if (n < 0) throw new SysException("epoll_wait", null, Native.errno());
        for (int i = 0; i < n; i++) {
            ready[i] = events.getInt((long) i * a.epollEventSize + a.epollDataOffset);
        }
        return n;
    }

    /** Closes the instance once (a second call does nothing: its number may name another file by then). */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        Posix.close(fd);
    }
}
