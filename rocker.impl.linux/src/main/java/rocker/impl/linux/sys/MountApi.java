package rocker.impl.linux.sys;

import java.nio.charset.StandardCharsets;

import jnr.ffi.Pointer;

/**
 * The new mount API's calls that Rocker uses (Linux 5.2+, the same numbers on every architecture):
 * {@code open_tree(OPEN_TREE_CLONE)} makes a detached copy of a mount, {@code move_mount} attaches it.
 */
public final class MountApi {
    private static final long SYS_OPEN_TREE = 428;
    private static final long SYS_MOVE_MOUNT = 429;
    private static final long OPEN_TREE_CLONE = 1;
    private static final long OPEN_TREE_CLOEXEC = 02000000;
    private static final long MOVE_MOUNT_F_EMPTY_PATH = 0x04;
    private static final long MOVE_MOUNT_T_EMPTY_PATH = 0x40;
    private static final int AT_FDCWD = -100;

    private MountApi() {
    }

    /** Whether this kernel has open_tree and move_mount (a call with a bad fd says EBADF, not ENOSYS). */
    public static boolean available() {
        Pointer empty = path("");
        long r = Native.syscalls().syscall(SYS_OPEN_TREE, -1, empty.address(), 0, 0, 0, 0);
        return r >= 0 || Native.errno() != Errno.ENOSYS;
    }

    /**
     * A detached copy of the mount at {@code path} (in this thread's mount namespace, which must own it),
     * with its flags: an fd that unmounts the copy when closed unless it was attached.
     */
    public static int cloneTree(String path) {
        Pointer p = path(path);
        long fd = Native.syscalls().syscall(SYS_OPEN_TREE, AT_FDCWD, p.address(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC, 0, 0, 0);
        if (fd < 0) throw new SysException("open_tree (clone)", path, Native.errno());
        return (int) fd;
    }

    /** Attaches the detached mount {@code tree} on the opened dir {@code dirFd} (of this thread's mount namespace). */
    public static void attach(int tree, int dirFd, String what) {
        Pointer empty = path("");
        long r = Native.syscalls().syscall(SYS_MOVE_MOUNT, tree, empty.address(), dirFd, empty.address(),
                MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH, 0);
        if (r < 0) throw new SysException("move_mount", what, Native.errno());
    }

    private static Pointer path(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        Pointer p = Scratch.get(Scratch.PATH, b.length + 1);
        p.put(0, b, 0, b.length);
        p.putByte(b.length, (byte) 0);
        return p;
    }
}
