package rocker.impl.linux;

import jnr.ffi.Struct;
import rocker.impl.linux.sys.Errno;
import rocker.impl.linux.sys.LoopConfig;
import rocker.impl.linux.sys.LoopInfo64;
import rocker.impl.linux.sys.Native;
import rocker.impl.linux.sys.Posix;
import rocker.impl.linux.sys.SysException;

/**
 * A free loop device bound read-only and auto-clearing to an image file: {@code LOOP_CONFIGURE}
 * (Linux 5.8+), with {@code LOOP_SET_FD} + {@code LOOP_SET_STATUS64} on older kernels. Closing it
 * before anything mounted it detaches it.
 */
final class LoopDevice implements AutoCloseable {
    static final long LOOP_SET_FD = 0x4C00;
    static final long LOOP_CLR_FD = 0x4C01;
    static final long LOOP_SET_STATUS64 = 0x4C04;
    static final long LOOP_CONFIGURE = 0x4C0A;
    static final long LOOP_CTL_GET_FREE = 0x4C82;
    static final int LO_FLAGS_READ_ONLY = 1;
    static final int LO_FLAGS_AUTOCLEAR = 4;
    private static final int ATTEMPTS = 32;

    private final String path;
    private final int fd;

    private LoopDevice(String path, int fd) {
        this.path = path;
        this.fd = fd;
    }

    String path() {
        return path;
    }

    static LoopDevice attach(int imageFd, String imagePath) {
        SysException last = null;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            int number;
            int control = Posix.open("/dev/loop-control", Posix.O_RDWR, 0);
            try {
                number = Posix.ioctl(control, LOOP_CTL_GET_FREE, null, "LOOP_CTL_GET_FREE on /dev/loop-control");
            } finally {
                Posix.close(control);
            }
            String dev = "/dev/loop" + number;
            int fd = Posix.open(dev, Posix.O_RDWR, 0);
            try {
                configure(fd, imageFd, imagePath, dev);
                return new LoopDevice(dev, fd);
            } catch (SysException e) {
                Posix.close(fd);
                if (e.errno() != Errno.EBUSY) throw e;
                last = e; // another rocker took this device between GET_FREE and CONFIGURE
            }
        }
        throw last;
    }

    private static void configure(int fd, int imageFd, String imagePath, String dev) {
        LoopConfig config = new LoopConfig(Native.runtime());
        config.fd.set(imageFd);
        config.blockSize.set(0);
        fill(config.info, imagePath);
        try {
            Posix.ioctl(fd, LOOP_CONFIGURE, Struct.getMemory(config), "LOOP_CONFIGURE on " + dev);
            return;
        } catch (SysException e) {
            if (e.errno() != Errno.EINVAL && e.errno() != Errno.ENOTTY) throw e;
        }
        // kernels before 5.8
        Posix.ioctl(fd, LOOP_SET_FD, Posix.intArg(imageFd), "LOOP_SET_FD on " + dev);
        LoopInfo64 info = new LoopInfo64(Native.runtime());
        fill(info, imagePath);
        try {
            Posix.ioctl(fd, LOOP_SET_STATUS64, Struct.getMemory(info), "LOOP_SET_STATUS64 on " + dev);
        } catch (SysException e) {
            Posix.ioctl(fd, LOOP_CLR_FD, null, "LOOP_CLR_FD on " + dev);
            throw e;
        }
    }

    private static void fill(LoopInfo64 info, String imagePath) {
        info.flags.set(LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR);
        String name = imagePath.length() > 63 ? imagePath.substring(imagePath.length() - 63) : imagePath;
        info.fileName.set(name);
    }

    /** Drops our handle: with auto-clear, the device is detached once nothing (no mount) holds it. */
    @Override
    public void close() {
        Posix.close(fd);
    }
}
