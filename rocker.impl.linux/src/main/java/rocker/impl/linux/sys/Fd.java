package rocker.impl.linux.sys;

import java.nio.charset.StandardCharsets;

import jnr.ffi.Pointer;

/**
 * File calls relative to an open directory, never following a symbolic link: what the engine uses on
 * every path a client controls (open once, check on the fd, act on the fd). {@code openat2} with
 * {@code RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS} where the kernel has it (5.6+);
 * before that a walk of one component at a time with {@code O_NOFOLLOW | O_DIRECTORY}.
 */
public final class Fd {
    public static final int O_DIRECTORY = Arch.CURRENT.oDirectory;
    public static final int O_NOFOLLOW = Arch.CURRENT.oNofollow;
    public static final int O_LARGEFILE = Arch.CURRENT.oLargefile;
    public static final int O_PATH = 010000000;
    public static final int AT_FDCWD = -100;
    public static final int AT_REMOVEDIR = 0x200;
    private static final int AT_EMPTY_PATH = 0x1000;
    private static final long RESOLVE_NO_MAGICLINKS = 0x02;
    private static final long RESOLVE_NO_SYMLINKS = 0x04;
    private static final long RESOLVE_BENEATH = 0x08;
    private static final long SYS_OPENAT2 = 437; // the same on x86-64, aarch64 and arm
    private static final int STATX_BASIC_STATS = 0x7ff;
    private static final int STATX_SIZE = 256;
    private static final int F_GETFL = 3;
    private static final int F_SETFL = 4;
    private static final int F_DUPFD_CLOEXEC = 1030;

    private static volatile boolean openat2 = true;

    private Fd() {
    }

    /**
     * Whether {@link #openBeneath} may use openat2 (true until the kernel says ENOSYS). Tests turn it
     * off to run the same attacks against the walk that older kernels get.
     */
    public static void useOpenat2(boolean use) {
        openat2 = use;
    }

    public static boolean usesOpenat2() {
        return openat2;
    }

    /** openat(2) of one name in {@code dirfd}, close-on-exec, EINTR retried: the fd, or minus the errno (no exception). */
    public static int tryOpenat(int dirfd, String name, int flags, int mode) {
        int fd = (int) Interrupted.retry(() -> Native.file().openat(dirfd, name, flags | Posix.O_CLOEXEC, mode));
        return fd >= 0 ? fd : -Native.errno();
    }

    /** openat(2) of one name in {@code dirfd}, close-on-exec, EINTR retried. */
    public static int openat(int dirfd, String name, int flags, int mode, String what) {
        int fd = (int) Interrupted.retry(() -> Native.file().openat(dirfd, name, flags | Posix.O_CLOEXEC, mode));
        if (fd < 0) throw new SysException("open", what, Native.errno());
        return fd;
    }

    /**
     * openat(2) of one name given as raw bytes (a name read from the kernel that need not be UTF-8, such
     * as a mount point), close-on-exec, EINTR retried.
     */
    public static int openat(int dirfd, byte[] name, int flags, int mode, String what) {
        Pointer p = cBytes(name);
        long fd = Interrupted.retry(() -> Native.syscalls().syscall(Arch.CURRENT.sysOpenat, dirfd, p.address(), flags | Posix.O_CLOEXEC, mode, 0, 0));
        if (fd < 0) throw new SysException("open", what, Native.errno());
        return (int) fd;
    }

    /**
     * Opens the dir {@code name} in {@code dirfd} without following it: a symbolic link is ELOOP (the
     * kernel says ENOTDIR for O_DIRECTORY | O_NOFOLLOW on a link; this tells the two apart).
     */
    public static int openDir(int dirfd, String name, String what) {
        try {
            return openat(dirfd, name, Posix.O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, what);
        } catch (SysException e) {
            if (e.errno() == Errno.ENOTDIR && isSymlink(dirfd, name, what)) throw new SysException("open", what, Errno.ELOOP);
            throw e;
        }
    }

    private static boolean isSymlink(int dirfd, String name, String what) {
        int fd;
        try {
            fd = openat(dirfd, name, O_PATH | O_NOFOLLOW, 0, what);
        } catch (SysException e) {
            return false;
        }
        try {
            return (stat(fd, what).mode & Stat.S_IFMT) == Stat.S_IFLNK;
        } finally {
            Posix.close(fd);
        }
    }

    /**
     * Opens {@code relative} (one or more names separated by '/', no "." or "..") beneath {@code dirfd}
     * without following any symbolic link, not even in the last component: a symlink anywhere is
     * ELOOP, a path that would leave {@code dirfd} is EXDEV.
     */
    public static int openBeneath(int dirfd, String relative, int flags, int mode, String what) {
        String[] names = relative.split("/", -1);
        for (String n : names) {
            if (n.isEmpty() || n.equals(".") || n.equals("..")) throw new SysException("open", what, Errno.EXDEV);
        }
        if (openat2) {
            long fd = openat2(dirfd, relative, large(flags) | Posix.O_CLOEXEC, mode);
            if (fd >= 0) return (int) fd;
            int e = (int) -fd;
            if (e != Errno.ENOSYS) throw new SysException("open", what, e);
            openat2 = false;
        }
        int cur = dirfd;
        try {
            for (int i = 0; i < names.length - 1; i++) {
                int next = openDir(cur, names[i], what);
                if (cur != dirfd) Posix.close(cur);
                cur = next;
            }
            return openat(cur, names[names.length - 1], large(flags) | O_NOFOLLOW, mode, what);
        } finally {
            if (cur != dirfd) Posix.close(cur);
        }
    }

    /**
     * Opens a path a user named, on that user's credentials thread: symlinks are followed as the user,
     * but no /proc magic link (/proc/PID/fd/N, /proc/PID/root, /proc/PID/cwd), which would jump past
     * dirs the user cannot search into files a process of the same thread group (the engine) holds.
     * Before Linux 5.6 (no openat2) the path is walked here one name at a time ({@link #walkOutsideProc}),
     * and any path that leads into a procfs, by its name or through a symlink, is refused (ELOOP).
     */
    public static int openNoMagicLinks(String path, int flags, int mode) {
        if (openat2) {
            long fd = openat2(AT_FDCWD, path, large(flags) | Posix.O_CLOEXEC, mode, RESOLVE_NO_MAGICLINKS);
            if (fd >= 0) return (int) fd;
            int e = (int) -fd;
            if (e != Errno.ENOSYS) throw new SysException("open", path, e);
            openat2 = false;
        }
        return walkOutsideProc(path, flags, mode);
    }

    private static final long PROC_SUPER_MAGIC = 0x9fa0;
    private static final int MAX_LINKS = 40;
    private static final int PATH_MAX = 4096;
    private static final int O_EXCL = 0200;
    private static final int S_ISVTX = 01000;

    /**
     * The fallback of {@link #openNoMagicLinks}: the path resolved as the kernel would, one name at a time
     * from "/" (or the working dir), with this thread's credentials (so every dir's search permission is
     * checked as before): a dir opened {@code O_PATH | O_DIRECTORY | O_NOFOLLOW} (which triggers an automount),
     * anything else {@code O_PATH | O_NOFOLLOW}, a symlink's target read and walked in its place (at most 40),
     * ".." taken physically; a dir on a procfs anywhere on the way is ELOOP (a magic link leads only from
     * there, and a symlink to /proc is caught where it lands). The last name keeps the kernel's rules: a
     * trailing "/" (or "/.") asks for a dir and follows a link; a link there is not followed with
     * {@code O_NOFOLLOW}, is EEXIST with {@code O_CREAT | O_EXCL}, and is refused (EACCES) as
     * {@code fs.protected_symlinks} does: another user's link in a sticky world-writable dir whose owner is not
     * the link's. The last name itself is opened with {@code flags | O_NOFOLLOW}: a link swapped in meanwhile is
     * ELOOP, never followed.
     */
    static int walkOutsideProc(String path, int flags, int mode) {
        if (path.isEmpty()) throw new SysException("open", path, Errno.ENOENT);
        if (path.getBytes(StandardCharsets.UTF_8).length >= PATH_MAX) throw new SysException("open", path, Errno.ENAMETOOLONG);
        java.util.ArrayDeque<String> names = new java.util.ArrayDeque<>();
        push(names, path);
        int cur = openat(AT_FDCWD, path.startsWith("/") ? "/" : ".", O_PATH | O_DIRECTORY, 0, path);
        int links = 0;
        try {
            notProc(cur, path);
            while (true) {
                String name = names.pollFirst();
                while (name != null && (name.isEmpty() || name.equals("."))) name = names.pollFirst();
                if (name == null) { // "/", or a path that ended in ".." or a dir's trailing "/"
                    if ((flags & Posix.O_CREAT) != 0) throw new SysException("open", path, Errno.EISDIR);
                    return openat(cur, ".", large(flags) & ~O_NOFOLLOW, mode, path);
                }
                boolean last = true;
                boolean dirWanted = false; // a trailing "/": the last name must be a dir (a "." after it is walked into)
                for (String n : names) {
                    if (!n.isEmpty()) {
                        last = false;
                        break;
                    }
                    dirWanted = true;
                }
                if (last && dirWanted && (flags & Posix.O_CREAT) != 0) throw new SysException("open", path, Errno.EISDIR);
                int next = tryOpenat(cur, name, O_PATH | O_DIRECTORY | O_NOFOLLOW, 0); // a dir (an automount is mounted)
                if (next == -Errno.ENOTDIR) next = tryOpenat(cur, name, O_PATH | O_NOFOLLOW, 0); // a link, or a file
                if (next == -Errno.ENOENT && last && (flags & Posix.O_CREAT) != 0) {
                    return notProcOrClose(openat(cur, name, large(flags) | O_NOFOLLOW, mode, path), path);
                }
                if (next < 0) throw new SysException("open", path, -next);
                try {
                    Stat st = stat(next, path);
                    if ((st.mode & Stat.S_IFMT) == Stat.S_IFLNK) {
                        if (last && !dirWanted) {
                            if ((flags & (Posix.O_CREAT | O_EXCL)) == (Posix.O_CREAT | O_EXCL)) {
                                throw new SysException("open", path, Errno.EEXIST);
                            }
                            if ((flags & O_NOFOLLOW) != 0) {
                                throw new SysException("open", path, (flags & O_DIRECTORY) != 0 ? Errno.ENOTDIR : Errno.ELOOP);
                            }
                        }
                        if (last) protectedSymlink(cur, st, path); // a trailing link, as the kernel checks it
                        if (++links > MAX_LINKS) throw new SysException("open", path, Errno.ELOOP);
                        String target = readlink(next, path);
                        if (target.startsWith("/")) {
                            int root = openat(AT_FDCWD, "/", O_PATH | O_DIRECTORY, 0, path);
                            Posix.close(cur);
                            cur = root;
                            notProc(cur, path);
                        }
                        push(names, target);
                        continue;
                    }
                    if (!last) {
                        Posix.close(cur);
                        cur = next;
                        next = -1;
                        notProc(cur, path);
                        continue;
                    }
                } finally {
                    Posix.close(next);
                }
                int extra = dirWanted ? O_DIRECTORY : 0;
                return notProcOrClose(openat(cur, name, large(flags) | extra | O_NOFOLLOW, mode, path), path);
            }
        } finally {
            Posix.close(cur);
        }
    }

    /**
     * fs.protected_symlinks, which a walk in user space does not get from the kernel (readlinkat skips it): a
     * link in the last position is followed only when the sysctl is off, or the link is this thread's fsuid's,
     * or its dir is not sticky and world-writable, or that dir's owner owns the link.
     */
    private static void protectedSymlink(int dirFd, Stat link, String path) {
        if (!protectedSymlinks()) return;
        int fsuid = Native.file().setfsuid(-1);
        if (link.uid == fsuid) return;
        Stat dir = stat(dirFd, path);
        if ((dir.mode & S_ISVTX) == 0 || (dir.mode & 02) == 0 || dir.uid == link.uid) return;
        throw new SysException("open", path + " (another user's link in a sticky dir: fs.protected_symlinks)", Errno.EACCES);
    }

    /** The sysctl as it is now (read when a trailing link is followed, on kernels without openat2 only). */
    private static boolean protectedSymlinks() {
        try {
            return !"0".equals(java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/fs/protected_symlinks")).trim());
        } catch (java.io.IOException | RuntimeException e) {
            return true; // unknown: as most systems have it
        }
    }

    private static int notProcOrClose(int fd, String path) {
        try {
            notProc(fd, path);
            return fd;
        } catch (RuntimeException e) {
            Posix.close(fd);
            throw e;
        }
    }

    /** {@code path}'s names put in front of those still to walk. */
    private static void push(java.util.ArrayDeque<String> names, String path) {
        String[] parts = path.split("/", -1);
        for (int i = parts.length - 1; i >= 0; i--) names.addFirst(parts[i]);
    }

    private static void notProc(int fd, String path) {
        if (FileCopy.fileSystem(fd, path).type() == PROC_SUPER_MAGIC) throw new SysException("open", path, Errno.ELOOP);
    }

    private static String readlink(int linkFd, String what) {
        Pointer buf = Scratch.get(Scratch.PATH, PATH_MAX + 1);
        long n = Interrupted.retry(() -> Native.file().readlinkat(linkFd, "", buf, PATH_MAX));
        if (n < 0) throw new SysException("readlink", what, Native.errno());
        if (n >= PATH_MAX) throw new SysException("readlink", what, Errno.ENAMETOOLONG);
        byte[] b = new byte[(int) n];
        buf.get(0, b, 0, b.length);
        return new String(b, StandardCharsets.UTF_8);
    }

    /** {@code flags} with O_LARGEFILE (32-bit arm), except with O_PATH: openat2 refuses the pair (EINVAL). */
    private static int large(int flags) {
        return (flags & O_PATH) != 0 ? flags : flags | O_LARGEFILE;
    }

    /** Returns the new fd, or minus the errno. */
    private static long openat2(int dirfd, String path, int flags, int mode) {
        return openat2(dirfd, path, flags, mode, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
    }

    private static long openat2(int dirfd, String path, int flags, int mode, long resolve) {
        Pointer how = Scratch.get(Scratch.STRUCT, 24);
        how.putLong(0, flags & 0xffffffffL);
        how.putLong(8, (flags & Posix.O_CREAT) != 0 ? mode : 0);
        how.putLong(16, resolve);
        Pointer name = cString(path);
        long r = Interrupted.retry(() -> Native.syscalls().syscall(SYS_OPENAT2, dirfd, name.address(), how.address(), 24, 0, 0));
        return r >= 0 ? r : -Native.errno();
    }

    private static Pointer cString(String s) {
        return cBytes(s.getBytes(StandardCharsets.UTF_8));
    }

    private static Pointer cBytes(byte[] b) {
        Pointer p = Scratch.get(Scratch.PATH, b.length + 1);
        p.put(0, b, 0, b.length);
        p.putByte(b.length, (byte) 0);
        return p;
    }

    /**
     * Calls {@code each} with the names in the open dir {@code dirFd} (its position moves on), without "."
     * and "..", until it returns false (then false) or the dir has no more (true). Read with getdents64(2)
     * one buffer at a time, and decoded as UTF-8: unlike {@code java.nio}, whatever the JVM's locale; a
     * dir of any size costs one buffer's names at a time (a user's dir of a million entries must not fill
     * the heap). {@code each} may read other dirs: the names of a buffer are copied out first.
     */
    public static boolean forEachName(int dirFd, String what, java.util.function.Predicate<String> each) {
        for (;;) {
            Pointer buf = Scratch.get(Scratch.DATA, 4096);
            long n = Interrupted.retry(() -> Native.syscalls().syscall(Arch.CURRENT.sysGetdents64, dirFd, buf.address(), 4096, 0, 0, 0));
            if (n < 0) throw new SysException("getdents64", what, Native.errno());
            if (n == 0) return true;
            java.util.List<String> batch = new java.util.ArrayList<>();
            for (int at = 0; at < n;) {
                int reclen = buf.getShort(at + 16) & 0xffff;
                int end = at + 19;
                while (end < at + reclen && buf.getByte(end) != 0) end++;
                byte[] name = new byte[end - at - 19];
                buf.get(at + 19, name, 0, name.length);
                String s = new String(name, StandardCharsets.UTF_8);
                if (!s.equals(".") && !s.equals("..")) batch.add(s);
                at += reclen;
            }
            for (String name : batch) {
                if (!each.test(name)) return false;
            }
        }
    }

    /** The names in the open dir {@code dirFd} ({@link #forEachName}): for dirs whose size is bounded. */
    public static java.util.List<String> names(int dirFd, String what) {
        java.util.List<String> out = new java.util.ArrayList<>();
        forEachName(dirFd, what, out::add);
        return out;
    }

    /**
     * unlinkat(2) of {@code name} in {@code dirFd}, only while it is still {@code made} (device and inode):
     * false when another file has the name now (a check and an unlink, so the name's owner can still win a
     * race, but only with a file of its own in a dir it can write).
     */
    public static boolean unlinkIfStill(int dirFd, String name, Stat made, int flags, String what) {
        int now = openat(dirFd, name, O_PATH | O_NOFOLLOW | ((flags & AT_REMOVEDIR) != 0 ? O_DIRECTORY : 0), 0, what);
        try {
            Stat st = stat(now, what);
            if (st.dev != made.dev || st.ino != made.ino) return false;
        } finally {
            Posix.close(now);
        }
        return unlinkat(dirFd, name, flags);
    }

    /** mkdirat(2) of one name; false when it exists already (whatever it is: open it to find out). */
    public static boolean mkdirat(int dirfd, String name, int mode, String what) {
        if (Native.file().mkdirat(dirfd, name, mode) == 0) return true;
        int e = Native.errno();
        if (e == Errno.EEXIST) return false;
        throw new SysException("mkdir", what, e);
    }

    private static final int POSIX_FADV_WILLNEED = 3;

    /**
     * Reads the first {@code length} bytes of the open file into the page cache now
     * ({@code posix_fadvise(POSIX_FADV_WILLNEED)}; on squashfs the calling thread decompresses them).
     */
    public static void willNeed(int fd, long length, String what) {
        int e;
        do {
            e = Native.file().posix_fadvise64(fd, 0, length, POSIX_FADV_WILLNEED); // the error number itself, not errno
        } while (e == Errno.EINTR);
        if (e != 0) throw new SysException("posix_fadvise", what, e);
    }

    /**
     * {@code faccessat(W_OK)} on the open file's {@code /proc/self/fd} path: 0, or the errno. EROFS means a
     * read-only mount or file system (as root, with no struct whose layout differs per architecture);
     * EPERM an immutable file, EACCES an LSM's refusal (which say nothing about the mount).
     */
    public static int writeAccess(int fd) {
        if (Interrupted.retry(() -> Native.file().faccessat(AT_FDCWD, procPath(fd), W_OK, 0)) == 0) return 0;
        return Native.errno();
    }

    /** access(2)'s write permission check. */
    static final int W_OK = 2;

    /** unlinkat(2) of one name (never follows it); false when it failed, e.g. a dir that is not empty. */
    public static boolean unlinkat(int dirfd, String name, int flags) {
        return Native.file().unlinkat(dirfd, name, flags) == 0;
    }

    /**
     * Moves {@code from} in {@code fromDir} to {@code to} in {@code toDir}, never replacing anything there
     * ({@code renameat2(RENAME_NOREPLACE)}, Linux 3.15+; EEXIST when the name is taken).
     */
    public static void renameNoReplace(int fromDir, String from, int toDir, String to, String what) {
        rename(fromDir, from, toDir, to, 1 /* RENAME_NOREPLACE */, what);
    }

    /** Moves {@code from} in {@code dir} to {@code to} in {@code dir}, atomically replacing what has that name. */
    public static void renameReplacing(int dir, String from, String to, String what) {
        rename(dir, from, dir, to, 0, what);
    }

    private static void rename(int fromDir, String from, int toDir, String to, int flags, String what) {
        byte[] fb = from.getBytes(StandardCharsets.UTF_8);
        byte[] tb = to.getBytes(StandardCharsets.UTF_8);
        Pointer names = Scratch.get(Scratch.DATA, fb.length + tb.length + 2);
        names.put(0, fb, 0, fb.length);
        names.putByte(fb.length, (byte) 0);
        names.put(fb.length + 1, tb, 0, tb.length);
        names.putByte(fb.length + 1 + tb.length, (byte) 0);
        long r = Native.syscalls().syscall(Arch.CURRENT.sysRenameat2, fromDir, names.address(), toDir,
                names.address() + fb.length + 1, flags, 0);
        if (r < 0) throw new SysException("rename", what, Native.errno());
    }

    public static void symlinkat(String target, int dirfd, String name, String what) {
        if (Native.file().symlinkat(target, dirfd, name) < 0) throw new SysException("symlink", what, Native.errno());
    }

    public static void fchmod(int fd, int mode, String what) {
        if (Native.file().fchmod(fd, mode) < 0) throw new SysException("fchmod", what, Native.errno());
    }

    /** statx's mask bit for stx_mnt_id. */
    static final int STATX_MNT_ID = 0x1000;

    /** statx(2) of the open file itself. */
    public static Stat stat(int fd, String what) {
        Pointer buf = Scratch.get(Scratch.STRUCT, STATX_SIZE);
        Pointer empty = cString("");
        if (Interrupted.retry(() -> Native.syscalls().syscall(Arch.CURRENT.sysStatx, fd, empty.address(), AT_EMPTY_PATH,
                STATX_BASIC_STATS, buf.address(), 0)) < 0) {
            throw new SysException("statx", what, Native.errno());
        }
        long dev = ((buf.getInt(136) & 0xffffffffL) << 32) | (buf.getInt(140) & 0xffffffffL);
        return new Stat(buf.getShort(28) & 0xffff, buf.getInt(20), buf.getInt(24), buf.getInt(16),
                buf.getLong(40), buf.getLong(32), dev, buf.getLong(96), buf.getInt(104), buf.getLong(112), buf.getInt(120));
    }

    /**
     * The id of the mount the open file is on ({@code mnt_id} of /proc/self/fdinfo: every kernel we
     * support has it, statx's STATX_MNT_ID only since 5.8).
     */
    public static int mountId(int fd, String what) {
        Pointer buf = Scratch.get(Scratch.STRUCT, STATX_SIZE);
        Pointer empty = cString("");
        if (Interrupted.retry(() -> Native.syscalls().syscall(Arch.CURRENT.sysStatx, fd, empty.address(), AT_EMPTY_PATH,
                STATX_MNT_ID, buf.address(), 0)) == 0 && (buf.getInt(0) & STATX_MNT_ID) != 0) {
            return (int) buf.getLong(144); // stx_mnt_id (Linux 5.8+)
        }
        return mountIdFromFdinfo(fd, what);
    }

    /**
     * The 64-bit id of the mount {@code fd} is on that the kernel never gives another mount (statx
     * STATX_MNT_ID_UNIQUE, Linux 6.8+), or -1 on an older kernel. Tests tell a mount that was moved from a
     * new one with it (a mount's short id is reused once it is freed).
     */
    public static long uniqueMountId(int fd) {
        Pointer buf = Scratch.get(Scratch.STRUCT, STATX_SIZE);
        Pointer empty = cString("");
        if (Interrupted.retry(() -> Native.syscalls().syscall(Arch.CURRENT.sysStatx, fd, empty.address(), AT_EMPTY_PATH,
                STATX_MNT_ID_UNIQUE, buf.address(), 0)) == 0 && (buf.getInt(0) & STATX_MNT_ID_UNIQUE) != 0) {
            return buf.getLong(144);
        }
        return -1;
    }

    private static final int STATX_MNT_ID_UNIQUE = 0x4000;

    /** {@link #mountId} on kernels before 5.8 (package-visible for the test that compares both). */
    static int mountIdFromFdinfo(int fd, String what) {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/fdinfo/" + fd))) {
                if (line.startsWith("mnt_id:")) return Integer.parseInt(line.substring(7).trim());
            }
        } catch (java.io.IOException | NumberFormatException e) {
            throw new SysException("read /proc/self/fdinfo/" + fd + " of", what, Errno.EIO);
        }
        throw new SysException("read mnt_id in /proc/self/fdinfo/" + fd + " of", what, Errno.EIO);
    }

    public static final int LOCK_SH = 1;
    public static final int LOCK_EX = 2;
    public static final int LOCK_NB = 4;
    public static final int LOCK_UN = 8;

    /** A close-on-exec copy of {@code fd} (fcntl F_DUPFD_CLOEXEC), for a user that outlives the original's owner. */
    public static int dup(int fd, String what) {
        int copy = Native.file().fcntl(fd, F_DUPFD_CLOEXEC, 0);
        if (copy < 0) throw new SysException("dup", what, Native.errno());
        return copy;
    }

    /**
     * flock(2) without waiting: true when taken, false when another open file holds a conflicting lock.
     * The lock belongs to the open file: it is held while any copy of {@code fd} (in any process) is open.
     */
    public static boolean tryLock(int fd, int operation, String what) {
        if (Interrupted.retry(() -> Native.file().flock(fd, operation | LOCK_NB)) == 0) return true;
        int e = Native.errno();
        if (e == Errno.EAGAIN) return false;
        throw new SysException("flock", what, e);
    }

    /** Writes all of {@code bytes} to {@code fd} (short writes continued, EINTR retried). */
    public static void writeAll(int fd, byte[] bytes, String what) {
        Pointer buf = Scratch.get(Scratch.DATA, Math.max(1, bytes.length));
        buf.put(0, bytes, 0, bytes.length);
        long done = 0;
        while (done < bytes.length) {
            long n = NativeIo.write(fd, buf.slice(done), bytes.length - done);
            if (n <= 0) throw new SysException("write", what, n < 0 ? Native.errno() : Errno.EIO);
            done += n;
        }
    }

    /** Replaces the whole content of the small file {@code fd} with {@code text}. */
    public static void rewrite(int fd, String text, String what) {
        byte[] b = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (Native.file().ftruncate(fd, 0) < 0) throw new SysException("ftruncate", what, Native.errno());
        Pointer buf = Scratch.get(Scratch.DATA, Math.max(1, b.length));
        buf.put(0, b, 0, b.length);
        if (NativeIo.write(fd, buf, b.length) != b.length) throw new SysException("write", what, Native.errno());
    }

    /** The first {@code max} bytes of the file {@code fd} as text (from offset 0, the file offset unchanged). */
    public static String readStart(int fd, int max, String what) {
        Pointer buf = Scratch.get(Scratch.DATA, max);
        long n = Interrupted.retry(() -> Native.file().pread(fd, buf, max, 0));
        if (n < 0) throw new SysException("pread", what, Native.errno());
        byte[] b = new byte[(int) n];
        buf.get(0, b, 0, b.length);
        return new String(b, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Makes a descriptor opened with O_NONBLOCK (so that a FIFO could not block the open) blocking again. */
    public static void clearNonBlock(int fd, String what) {
        int flags = Native.file().fcntl(fd, F_GETFL, 0);
        if (flags < 0 || Native.file().fcntl(fd, F_SETFL, flags & ~Posix.O_NONBLOCK) < 0) {
            throw new SysException("fcntl", what, Native.errno());
        }
    }

    /** The path of an open descriptor for calls that only take paths (overlayfs options, mount targets). */
    public static String procPath(int fd) {
        return "/proc/self/fd/" + fd;
    }
}
