package rocker.impl.linux;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.impl.linux.sys.Fd;
import rocker.impl.linux.sys.Posix;
import rocker.impl.linux.sys.Stat;

/**
 * Makes one of the server's files (the guard executable, when it lies outside the hidden dirs)
 * read-only inside the rocker: a bind mount of the file onto itself, then remounted read-only, so that
 * not even a uid-0 app (which owns root's files) can chmod, write, rename or remove it. The file is
 * opened with no symlink followed ({@link RootWalk}); missing or a symlink inside the rocker: skipped.
 *
 * <p>A remount must name the new mount's root, which {@code /proc/self/fd/N} of the file opened before
 * does not (a magic link does not cross mounts): the name is opened again beneath the opened parent dir
 * (a lookup crosses into the new mount), and it must be the same file on another mount.
 */
final class ReadOnlyFile implements MountOp {
    private static final Logger LOG = LoggerFactory.getLogger(ReadOnlyFile.class);

    private final String path;
    private final String what;

    ReadOnlyFile(String path, String what) {
        this.path = path;
        this.what = what;
    }

    @Override
    public String describe() {
        return "make " + what + " " + path + " read-only (a read-only bind mount on it)";
    }

    @Override
    public void apply() {
        try (RootWalk file = RootWalk.file(path)) {
            if (file.fd() < 0) {
                LOG.debug("{} not made read-only: {} inside the rocker", path, file.skipped());
                return;
            }
            Stat before = Fd.stat(file.fd(), path);
            if (!before.isRegular()) {
                LOG.debug("{} not made read-only: it is {} inside the rocker", path, before.kind());
                return;
            }
            String source = Fd.procPath(file.fd());
            Posix.mount(source, source, null, Posix.MS_BIND, null);
            int bound = Fd.openat(file.parent(), file.leaf(), Fd.O_PATH | Fd.O_NOFOLLOW, 0, path);
            try {
                Stat after = Fd.stat(bound, path);
                if (after.dev != before.dev || after.ino != before.ino
                        || Fd.mountId(bound, path) == Fd.mountId(file.fd(), path)) {
                    throw new RockerException(RockerError.BUILD_ROCKER_FAILED, "cannot " + describe() + ": " + path
                            + " was replaced while it was being bind-mounted");
                }
                Posix.mount(null, Fd.procPath(bound), null, Posix.MS_REMOUNT | Posix.MS_BIND | Posix.MS_RDONLY
                        | Posix.MS_NOSUID | Posix.MS_NODEV, null);
            } finally {
                Posix.close(bound);
            }
        }
    }
}
