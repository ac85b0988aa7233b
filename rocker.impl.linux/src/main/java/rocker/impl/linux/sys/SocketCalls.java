package rocker.impl.linux.sys;

import jnr.ffi.Pointer;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/** libc: Unix sockets between the engine and its guards. */
@jnr.ffi.annotations.Encoding("UTF-8") // every String as UTF-8 bytes, whatever the JVM's locale (Native)
public interface SocketCalls {
    int socketpair(int domain, int type, int protocol, int[] fds);

    int socket(int domain, int type, int protocol);

    int bind(int fd, Pointer address, int length);

    int listen(int fd, int backlog);

    int connect(int fd, Pointer address, int length);

    int setsockopt(int fd, int level, int name, Pointer value, int length);

    @ssize_t long send(int fd, Pointer buf, @size_t long length, int flags);

    @ssize_t long recvmsg(int fd, MsgHdr message, int flags);

    @ssize_t long sendmsg(int fd, MsgHdr message, int flags);
}
