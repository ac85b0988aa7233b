package rocker.impl.linux.sys;

import jnr.ffi.Pointer;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/** libc: file descriptors. */
@jnr.ffi.annotations.Encoding("UTF-8") // every String as UTF-8 bytes, whatever the JVM's locale (Native)
public interface FileCalls {
    int open(String path, int flags, int mode);

    int close(int fd);

    @ssize_t long read(int fd, Pointer buf, @size_t long count);

    @ssize_t long write(int fd, Pointer buf, @size_t long count);

    int fchown(int fd, int uid, int gid);

    int pipe2(int[] fds, int flags);

    int ioctl(int fd, @size_t long request, Pointer arg);

    int openat(int dirfd, String path, int flags, int mode);

    int mkdirat(int dirfd, String path, int mode);

    int unlinkat(int dirfd, String path, int flags);

    int fchmod(int fd, int mode);

    int faccessat(int dirfd, String path, int mode, int flags);

    int symlinkat(String target, int dirfd, String linkpath);

    int fcntl(int fd, int cmd, int arg);

    int flock(int fd, int operation);

    int ftruncate(int fd, @jnr.ffi.types.off_t long length);

    @ssize_t long pread(int fd, Pointer buf, @size_t long count, @jnr.ffi.types.off_t long offset);

    /**
     * Advice on a file's pages (the 64-bit offsets on every architecture); returns the error number itself,
     * not -1 and errno.
     */
    int posix_fadvise64(int fd, long offset, long len, int advice);

    /** The calling thread's file creation mask, per filesystem context (fs_struct): per thread after unshare(CLONE_FS). */
    int umask(int mask);

    /** Per thread (not broadcast by glibc); returns the previous fsuid. */
    int setfsuid(int uid);

    /** Per thread (not broadcast by glibc); returns the previous fsgid. */
    int setfsgid(int gid);

    /** The target of a symbolic link ({@code path} "" with an O_PATH descriptor of the link itself); not NUL-terminated. */
    @ssize_t long readlinkat(int dirfd, String path, Pointer buf, @size_t long size);

    /** The file system of an open file ({@code struct statfs}: {@code f_type} first, the magic in its low 32 bits). */
    int fstatfs(int fd, Pointer buf);
}
