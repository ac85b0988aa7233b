package rocker.impl.linux;

import rocker.api.RockerCaller;
import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.impl.linux.sys.Credentials;
import rocker.impl.linux.sys.Errno;
import rocker.impl.linux.sys.Fd;
import rocker.impl.linux.sys.Posix;
import rocker.impl.linux.sys.Stat;
import rocker.impl.linux.sys.SysException;

/**
 * The app's image, opened once with the caller's credentials ({@code O_RDONLY | O_NOFOLLOW |
 * O_NONBLOCK}: a symlink as the last component is refused and a FIFO cannot block the open; no /proc magic
 * link is followed, whoever the caller), then
 * checked on the descriptor (a regular file that starts with the squashfs magic) before it backs a
 * loop device. Nothing is ever opened again by its path.
 */
final class ImageFile {
    /** "hsqs": the squashfs superblock magic, little-endian. */
    private static final byte[] SQUASHFS_MAGIC = {'h', 's', 'q', 's'};

    private ImageFile() {
    }

    /** The image's descriptor; the caller closes it. */
    static int open(String path, RockerCaller caller) {
        int flags = Posix.O_RDONLY | Fd.O_NOFOLLOW | Posix.O_NONBLOCK | Fd.O_LARGEFILE;
        int fd;
        try {
            // no /proc magic link, for root clients too: through /proc/PID/root a path reaches a mount of another
            // namespace, a user's own (docs/security.md, "Images only root can change")
            fd = caller.isEngine() ? Fd.openNoMagicLinks(path, flags, 0)
                    : Credentials.as(caller.uid(), caller.gid(), caller.groups(), () -> Fd.openNoMagicLinks(path, flags, 0));
        } catch (SysException e) {
            throw refused(path, caller, e);
        }
        try {
            Stat s = Fd.stat(fd, path);
            if (!s.isRegular()) throw invalid(path, "is " + s.kind() + ", not an image file");
            byte[] head = Posix.read(fd, 4);
            if (!java.util.Arrays.equals(head, SQUASHFS_MAGIC)) throw invalid(path, "is not a squashfs image");
            return fd;
        } catch (RuntimeException e) {
            Posix.close(fd);
            if (e instanceof SysException) throw refused(path, caller, (SysException) e);
            throw e;
        }
    }

    private static RockerException refused(String path, RockerCaller caller, SysException e) {
        switch (e.errno()) {
            case Errno.ENOENT:
                return invalid(path, "does not exist");
            case Errno.ELOOP:
                return invalid(path, "is a symbolic link: name the image file itself");
            case Errno.ENOTDIR:
                return invalid(path, "a component of the path is not a dir");
            case Errno.EACCES:
            case Errno.EPERM:
                return new RockerException(RockerError.SYS, "permission denied: app_pkg_path '" + path + "': not readable by "
                        + (caller.isEngine() ? "the engine" : "uid " + caller.uid()));
            case Errno.ENXIO:
            case Errno.EISDIR:
                return invalid(path, "is not an image file");
            default:
                return invalid(path, "cannot be read: " + e.getMessage());
        }
    }

    private static RockerException invalid(String path, String why) {
        return new RockerException(RockerError.PARAM_INVALID, "app_pkg_path '" + path + "': " + why);
    }
}
