package rocker.impl.linux;

import rocker.impl.linux.sys.Errno;
import rocker.impl.linux.sys.Loop;
import rocker.impl.linux.sys.Posix;
import rocker.impl.linux.sys.SysException;

/**
 * A free loop device bound read-only and auto-clearing to an image file: {@code LOOP_CONFIGURE}
 * (Linux 5.8+), with {@code LOOP_SET_FD} + {@code LOOP_SET_STATUS64} on older kernels. Closing it
 * before anything mounted it detaches it.
 */
final class LoopDevice implements AutoCloseable {
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
                number = Loop.free(control);
            } finally {
                Posix.close(control);
            }
            String dev = "/dev/loop" + number;
            int fd = Posix.open(dev, Posix.O_RDWR, 0);
            try {
                Loop.bind(fd, dev, imageFd, Loop.LO_FLAGS_READ_ONLY | Loop.LO_FLAGS_AUTOCLEAR, imagePath);
                return new LoopDevice(dev, fd);
            } catch (SysException e) {
                Posix.close(fd);
                if (e.errno() != Errno.EBUSY) throw e;
                last = e; // another rocker took this device between GET_FREE and CONFIGURE
            }
        }
        throw last;
    }

    /** Drops our handle: with auto-clear, the device is detached once nothing (no mount) holds it. */
    @Override
    public void close() {
        Posix.close(fd);
    }
}
