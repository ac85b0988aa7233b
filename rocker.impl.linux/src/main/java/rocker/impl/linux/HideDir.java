package rocker.impl.linux;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import rocker.impl.linux.sys.Fd;
import rocker.impl.linux.sys.Posix;

/**
 * Hides one of the server's dirs (the engine's state dir, the server's socket dir) inside the rocker:
 * an empty tmpfs, read-only from the start, on the dir as the rocker sees it, opened with no symlink
 * followed ({@link RootWalk}). When a name on the way is missing, a symlink or not a dir, nothing of
 * the server's is seen at that path inside the rocker, so there is nothing to hide. Applied after the
 * overlays and the image, so that it covers a dir under an overlay dir too.
 */
final class HideDir implements MountOp {
    private static final Logger LOG = LoggerFactory.getLogger(HideDir.class);
    static final long FLAGS = Posix.MS_RDONLY | Posix.MS_NOSUID | Posix.MS_NODEV | Posix.MS_NOEXEC;
    static final String OPTIONS = "size=4k,nr_inodes=1,mode=0755";

    private final String path;

    HideDir(String path) {
        this.path = path;
    }

    @Override
    public String describe() {
        return "hide " + path + " (an empty read-only tmpfs on it)";
    }

    @Override
    public void apply() {
        try (RootWalk dir = RootWalk.dir(path)) {
            if (dir.fd() < 0) {
                LOG.debug("{} not hidden: {} inside the rocker, so nothing of the server's is seen there", path, dir.skipped());
                return;
            }
            Posix.mount("tmpfs", Fd.procPath(dir.fd()), "tmpfs", FLAGS, OPTIONS);
        }
    }
}
