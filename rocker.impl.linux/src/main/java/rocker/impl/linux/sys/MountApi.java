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

    private static final long SYS_MOUNT_SETATTR = 442;
    private static final long AT_EMPTY_PATH = 0x1000;
    private static final long AT_RECURSIVE = 0x8000;
    /** mount_setattr's read-only attribute. */
    public static final long MOUNT_ATTR_RDONLY = 0x1;
    /** Size of struct mount_attr (MOUNT_ATTR_SIZE_VER0): attr_set, attr_clr, propagation, userns_fd. */
    private static final int MOUNT_ATTR_SIZE = 32;

    /**
     * mount_setattr(2) (Linux 5.12+, the same number on every architecture) on the mount {@code fd} is on,
     * and with {@code recursive} on every mount below it (all or none): sets the attributes {@code set},
     * clears {@code clear}, leaves the others. Returns 0, or the errno (ENOSYS: an older kernel).
     */
    public static int setAttr(int fd, boolean recursive, long set, long clear) {
        Pointer empty = path("");
        Pointer attr = Scratch.get(Scratch.STRUCT, MOUNT_ATTR_SIZE);
        attr.putLong(0, set);
        attr.putLong(8, clear);
        attr.putLong(16, 0);
        attr.putLong(24, 0);
        long r = Interrupted.retry(() -> Native.syscalls().syscall(SYS_MOUNT_SETATTR, fd, empty.address(),
                AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), attr.address(), MOUNT_ATTR_SIZE, 0));
        return r < 0 ? Native.errno() : 0;
    }

    /** Whether this kernel has mount_setattr (Linux 5.12+; a call that changes nothing says 0 or EBADF, an older kernel ENOSYS). */
    public static boolean setAttrAvailable() {
        return setAttr(-1, false, 0, 0) != Errno.ENOSYS;
    }

    private static Pointer path(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        Pointer p = Scratch.get(Scratch.PATH, b.length + 1);
        p.put(0, b, 0, b.length);
        p.putByte(b.length, (byte) 0);
        return p;
    }
}
