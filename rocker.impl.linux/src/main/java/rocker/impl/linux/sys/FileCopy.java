package rocker.impl.linux.sys;

import jnr.ffi.Pointer;

/**
 * What copying a file on the descriptors needs: the file system an open file is on (type, mount flags),
 * whether anyone has it open for writing, a file of a dir that has no name, and a copy from one descriptor
 * to another in the kernel ({@code copy_file_range}, Linux 4.5+; {@code sendfile} where it says no, as
 * between two file systems since 5.19). EINTR is retried; every failure names the operation and the file.
 */
public final class FileCopy {
    /** {@code __O_TMPFILE}: the same on x86-64, aarch64 and arm; O_TMPFILE is it with O_DIRECTORY. */
    private static final int O_TMPFILE_BIT = 020000000;
    private static final int O_EXCL = 0200;
    private static final int F_SETLEASE = 1024;
    private static final int F_SETSIG = 10;
    /** SIGURG: ignored unless handled (the JVM does not), the signal a lease break sends instead of SIGIO, which would end the JVM. */
    private static final int SIGURG = 23;
    private static final int F_RDLCK = 0;
    private static final int F_UNLCK = 2;
    private static final int CHUNK = 8 << 20;

    private FileCopy() {
    }

    /** statfs f_flags (the same bits as the mount flags). */
    public static final long ST_NOSUID = 2;
    public static final long ST_NODEV = 4;

    /** The file system of an open file: its magic number ({@code f_type}) and its mount's flags ({@code f_flags}). */
    public record FileSystem(long type, long flags) {
    }

    public static FileSystem fileSystem(int fd, String what) {
        Pointer buf = Scratch.get(Scratch.STRUCT, 256);
        if (Interrupted.retry(() -> Native.file().fstatfs(fd, buf)) < 0) throw new SysException("fstatfs", what, Native.errno());
        // little-endian on every architecture Rocker runs on: the low 32 bits of a 64-bit word come first
        return new FileSystem(buf.getInt(0) & 0xffffffffL, buf.getInt(Arch.CURRENT.statfsFlagsOffset) & 0xffffffffL);
    }

    /**
     * 0 when nobody has the open regular file open for writing (nor mapped writable) at this moment, else the
     * errno that says otherwise: a read lease is taken and given back at once ({@code F_SETLEASE}, which
     * root may take on any file); it is refused with EAGAIN while the file has a writer.
     */
    public static int writers(int fd, String what) {
        // an opening for writing while the lease is held breaks it, and the kernel signals this process: SIGIO
        // by default, whose default action ends it; SIGURG's is to ignore it
        if (Interrupted.retry(() -> Native.file().fcntl(fd, F_SETSIG, SIGURG)) < 0) {
            throw new SysException("fcntl F_SETSIG", what, Native.errno());
        }
        if (Interrupted.retry(() -> Native.file().fcntl(fd, F_SETLEASE, F_RDLCK)) < 0) return Native.errno();
        try {
            Runnable hook = whileLeased;
            if (hook != null) hook.run();
        } finally {
            if (Interrupted.retry(() -> Native.file().fcntl(fd, F_SETLEASE, F_UNLCK)) < 0) {
                throw new SysException("fcntl F_SETLEASE F_UNLCK", what, Native.errno());
            }
        }
        return 0;
    }

    /** Tests only (ImageCopyTest, in another package): runs while {@link #writers} holds its lease. */
    public static volatile Runnable whileLeased;

    /**
     * A new regular file of mode {@code mode} in the open dir {@code dirFd} that has no name, close-on-exec:
     * {@code O_TMPFILE | O_EXCL}, so it can never be linked into the file system either (ext4, xfs, btrfs,
     * tmpfs and most local file systems have it; EOPNOTSUPP where the file system has not).
     */
    public static int unnamedFile(int dirFd, int mode, String what) {
        return Fd.openat(dirFd, ".", O_TMPFILE_BIT | Fd.O_DIRECTORY | O_EXCL | Posix.O_RDWR | Fd.O_LARGEFILE, mode, what);
    }

    /**
     * Copies the first {@code length} bytes of {@code in} to {@code out}, both from offset 0 (neither file's
     * offset is used); fails with EIO when {@code in} ends sooner.
     */
    public static void copy(int in, int out, long length, String what) {
        long done = 0;
        boolean range = true;
        while (done < length) {
            int count = (int) Math.min(CHUNK, length - done);
            long n;
            if (range) {
                n = inKernel(Arch.CURRENT.sysCopyFileRange, in, out, done, count);
                if (done == 0 && n <= 0) {
                    int e = n < 0 ? Native.errno() : Errno.EINVAL;
                    if (e != Errno.ENOSYS && e != Errno.EXDEV && e != Errno.EINVAL && e != Errno.EOPNOTSUPP) {
                        throw new SysException("copy_file_range", what, e);
                    }
                    // an old kernel, two file systems, or one that cannot: sendfile, from the start, which
                    // writes at the output's own offset (0: nothing was written)
                    range = false;
                    continue;
                }
                if (n < 0) throw new SysException("copy_file_range", what, Native.errno());
            } else {
                n = inKernel(Arch.CURRENT.sysSendfile, in, out, done, count);
                if (n < 0) throw new SysException("sendfile", what, Native.errno());
            }
            if (n == 0) throw new SysException("copy", what + " (it ended after " + done + " bytes)", Errno.EIO);
            done += n;
        }
    }

    /** copy_file_range(in, &offset, out, &offset, count, 0) or sendfile(out, in, &offset, count): the bytes copied, or -1. */
    private static long inKernel(long call, int in, int out, long offset, int count) {
        Pointer offsets = Scratch.get(Scratch.SMALL, 16);
        offsets.putLong(0, offset);
        offsets.putLong(8, offset);
        if (call == Arch.CURRENT.sysSendfile) {
            // at the output's own offset: the file is new and only this writes it, from 0 in order
            return Interrupted.retry(() -> Native.syscalls().syscall(call, out, in, offsets.address(), count, 0, 0));
        }
        return Interrupted.retry(() -> Native.syscalls().syscall(call, in, offsets.address(), out, offsets.address() + 8, count, 0));
    }
}
