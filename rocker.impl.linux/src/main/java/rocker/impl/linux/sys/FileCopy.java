package rocker.impl.linux.sys;

import jnr.ffi.Pointer;

/**
 * What copying a file on the descriptors needs: the file system an open file is on, an unnamed file of a dir ({@code O_TMPFILE}), and a copy from one descriptor to
 * another ({@code copy_file_range}, Linux 4.5+, with {@code pread}/{@code write} where the kernel or the
 * file systems say no). EINTR is retried; every failure names the operation and the file.
 */
public final class FileCopy {
    /** {@code __O_TMPFILE}: the same on x86-64, aarch64 and arm; O_TMPFILE is it with O_DIRECTORY. */
    private static final int O_TMPFILE_BIT = 020000000;
    private static final int CHUNK = 1 << 20;

    private FileCopy() {
    }

    /** The magic number of the file system the open file is on ({@code f_type} of fstatfs), as an unsigned value. */
    public static long fileSystemType(int fd, String what) {
        Pointer buf = Scratch.get(Scratch.STRUCT, 256);
        if (Interrupted.retry(() -> Native.file().fstatfs(fd, buf)) < 0) throw new SysException("fstatfs", what, Native.errno());
        return buf.getInt(0) & 0xffffffffL; // little-endian on every architecture Rocker runs on
    }

    /** A new unnamed regular file in the open dir {@code dirFd} ({@code O_TMPFILE | O_RDWR}, close-on-exec): gone with its last reference. */
    public static int unnamedFile(int dirFd, int mode, String what) {
        return Fd.openat(dirFd, ".", O_TMPFILE_BIT | Fd.O_DIRECTORY | Posix.O_RDWR | Fd.O_LARGEFILE, mode, what);
    }

    /**
     * Copies the first {@code length} bytes of {@code in} to {@code out}, both from offset 0 (neither file's
     * offset is used); fails with EIO when {@code in} ends sooner.
     */
    public static void copy(int in, int out, long length, String what) {
        long done = 0;
        boolean kernel = true;
        while (done < length) {
            long n;
            if (kernel) {
                n = copyFileRange(in, out, done, (int) Math.min(CHUNK, length - done));
                if (n < 0) {
                    int e = Native.errno();
                    if (e != Errno.ENOSYS && e != Errno.EXDEV && e != Errno.EINVAL && e != Errno.EOPNOTSUPP) {
                        throw new SysException("copy_file_range", what, e);
                    }
                    kernel = false; // an old kernel, or file systems that cannot: by reads and writes
                    continue;
                }
            } else {
                n = readWrite(in, out, done, (int) Math.min(CHUNK, length - done), what);
            }
            if (n == 0) throw new SysException("copy", what + " (it ended after " + done + " bytes)", 5 /* EIO */);
            done += n;
        }
    }

    private static long copyFileRange(int in, int out, long offset, int count) {
        Pointer offsets = Scratch.get(Scratch.SMALL, 16);
        offsets.putLong(0, offset);
        offsets.putLong(8, offset);
        return Interrupted.retry(() -> Native.syscalls().syscall(Arch.CURRENT.sysCopyFileRange, in, offsets.address(), out,
                offsets.address() + 8, count, 0));
    }

    private static long readWrite(int in, int out, long offset, int count, String what) {
        Pointer buf = Scratch.get(Scratch.DATA, count);
        long n = Interrupted.retry(() -> Native.file().pread(in, buf, count, offset));
        if (n < 0) throw new SysException("pread", what, Native.errno());
        long written = 0;
        while (written < n) {
            long w0 = written;
            long w = Interrupted.retry(() -> Native.file().pwrite(out, buf.slice(w0), n - w0, offset + w0));
            if (w < 0) throw new SysException("pwrite", what, Native.errno());
            written += w;
        }
        return n;
    }
}
