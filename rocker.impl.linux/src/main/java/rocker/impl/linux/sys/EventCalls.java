package rocker.impl.linux.sys;

import jnr.ffi.Pointer;

/** libc: epoll, to wait on many descriptors at a cost that does not grow with their number. */
@jnr.ffi.annotations.Encoding("UTF-8") // every String as UTF-8 bytes, whatever the JVM's locale (Native)
public interface EventCalls {
    int epoll_create1(int flags);

    int epoll_ctl(int epfd, int op, int fd, Pointer event);

    int epoll_wait(int epfd, Pointer events, int maxevents, int timeoutMillis);
}
