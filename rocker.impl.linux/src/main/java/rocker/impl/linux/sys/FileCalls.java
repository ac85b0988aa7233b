package rocker.impl.linux.sys;

import jnr.ffi.Pointer;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/** libc: file descriptors. */
public interface FileCalls {
    int open(String path, int flags, int mode);

    int close(int fd);

    @ssize_t long read(int fd, Pointer buf, @size_t long count);

    @ssize_t long write(int fd, Pointer buf, @size_t long count);

    int fchown(int fd, int uid, int gid);

    int pipe2(int[] fds, int flags);

    int ioctl(int fd, @size_t long request, Pointer arg);
}
