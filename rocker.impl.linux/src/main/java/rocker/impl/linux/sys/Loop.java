package rocker.impl.linux.sys;

import jnr.ffi.Struct;

/**
 * Loop device ioctls: {@code LOOP_CTL_GET_FREE}, {@code LOOP_CONFIGURE} (Linux 5.8+) and, before it,
 * {@code LOOP_SET_FD} + {@code LOOP_SET_STATUS64} (+ {@code LOOP_CLR_FD} when the status fails).
 */
public final class Loop {
    static final long LOOP_SET_FD = 0x4C00;
    static final long LOOP_CLR_FD = 0x4C01;
    static final long LOOP_SET_STATUS64 = 0x4C04;
    static final long LOOP_CONFIGURE = 0x4C0A;
    static final long LOOP_CTL_GET_FREE = 0x4C82;
    public static final int LO_FLAGS_READ_ONLY = 1;
    public static final int LO_FLAGS_AUTOCLEAR = 4;

    private static volatile boolean configure = true;

    private Loop() {
    }

    /** Whether {@link #bind} may use LOOP_CONFIGURE (true until the kernel says it has none). Tests turn it off. */
    public static void useConfigure(boolean use) {
        configure = use;
    }

    /** The number of a free loop device, from the opened {@code /dev/loop-control}. */
    public static int free(int control) {
        return Posix.ioctl(control, LOOP_CTL_GET_FREE, null, "LOOP_CTL_GET_FREE on /dev/loop-control");
    }

    /**
     * Binds the loop device {@code fd} ({@code dev}) to {@code imageFd} with {@code flags}, its file name
     * {@code name} (at most 63 bytes are kept): LOOP_CONFIGURE in one call, else the two older calls.
     */
    public static void bind(int fd, String dev, int imageFd, int flags, String name) {
        if (configure) {
            LoopConfig config = new LoopConfig(Native.runtime());
            config.fd.set(imageFd);
            config.blockSize.set(0);
            fill(config.info, flags, name);
            try {
                Posix.ioctl(fd, LOOP_CONFIGURE, Struct.getMemory(config), "LOOP_CONFIGURE on " + dev);
                return;
            } catch (SysException e) {
                if (e.errno() != Errno.EINVAL && e.errno() != Errno.ENOTTY) throw e;
                configure = false; // before Linux 5.8
            }
        }
        Posix.ioctl(fd, LOOP_SET_FD, Posix.intArg(imageFd), "LOOP_SET_FD on " + dev);
        LoopInfo64 info = new LoopInfo64(Native.runtime());
        fill(info, flags, name);
        try {
            Posix.ioctl(fd, LOOP_SET_STATUS64, Struct.getMemory(info), "LOOP_SET_STATUS64 on " + dev);
        } catch (SysException e) {
            Posix.ioctl(fd, LOOP_CLR_FD, null, "LOOP_CLR_FD on " + dev);
            throw e;
        }
    }

    private static void fill(LoopInfo64 info, int flags, String name) {
        info.flags.set(flags);
        info.fileName.set(name.length() > 63 ? name.substring(name.length() - 63) : name);
    }
}
