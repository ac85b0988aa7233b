package rocker.impl.linux;

import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.impl.linux.sys.Errno;
import rocker.impl.linux.sys.Fd;
import rocker.impl.linux.sys.Posix;
import rocker.impl.linux.sys.SysException;

/**
 * Opens the exec dir inside the rocker's mount namespace, one component at a time from "/", following
 * no symbolic link (a symlink could lead anywhere, e.g. from an upper dir in the data dir to the
 * host's /etc); the image is then mounted on the opened dir, never on a path. A missing component is
 * created (root, 0755) when an overlay covers the exec dir, so it lands in the data dir; a dir that no
 * overlay covers is created on the host only for a root client, as the original did.
 */
final class ExecDir implements MountOp {
    private final String field;
    private final String path;
    private final boolean covered;
    private final boolean mayCreateOnHost;
    private int fd = -1;

    ExecDir(String path, boolean covered, boolean mayCreateOnHost) {
        this("app_exec_dir", path, covered, mayCreateOnHost);
    }

    /** A mount point for the request's {@code field}: opened, or created like the exec dir. */
    ExecDir(String field, String path, boolean covered, boolean mayCreateOnHost) {
        this.field = field;
        this.path = path;
        this.covered = covered;
        this.mayCreateOnHost = mayCreateOnHost;
    }

    @Override
    public String describe() {
        return "open " + (field.equals("app_exec_dir") ? "the exec dir " : "the mount point ") + path;
    }

    @Override
    public void apply() {
        int cur = Posix.open("/", Posix.O_RDONLY | Fd.O_DIRECTORY, 0);
        StringBuilder at = new StringBuilder();
        try {
            for (String name : path.substring(1).split("/")) {
                at.append('/').append(name);
                int next = step(cur, name, at.toString());
                Posix.close(cur);
                cur = next;
            }
            fd = cur;
            cur = -1;
        } finally {
            Posix.close(cur);
        }
    }

    private int step(int dir, String name, String at) {
        try {
            return Fd.openDir(dir, name, at);
        } catch (SysException e) {
            if (e.errno() != Errno.ENOENT) throw refused(e, at);
        }
        if (!covered && !mayCreateOnHost) {
            throw invalid(at + " does not exist, and Rocker creates dirs that no overlay covers only for root"
                    + " clients (create it, or put the exec dir under an overlay dir)");
        }
        int fd = -1;
        try {
            boolean made = Fd.mkdirat(dir, name, 0755, at);
            fd = Fd.openDir(dir, name, at);
            if (made) Fd.fchmod(fd, 0755, at); // not narrowed by the umask; a dir someone else made is left as it is
            int opened = fd;
            fd = -1;
            return opened;
        } catch (SysException e) {
            throw refused(e, at);
        } finally {
            Posix.close(fd);
        }
    }

    private RuntimeException refused(SysException e, String at) {
        switch (e.errno()) {
            case Errno.ELOOP:
                return invalid(at + " is a symbolic link (Rocker follows none on the way to the exec dir): name the real dir");
            case Errno.ENOTDIR:
                return invalid(at + " is not a dir");
            default:
                return e;
        }
    }

    private RockerException invalid(String why) {
        return new RockerException(RockerError.PARAM_INVALID, field + " '" + path + "': " + why);
    }

    /** The opened dir. */
    int fd() {
        return fd;
    }

    /** The opened exec dir, as a path the mount call resolves to that very dir. */
    String target() {
        return Fd.procPath(fd);
    }

    /** Done with it (mounted, or the build failed). */
    void close() {
        Posix.close(fd);
        fd = -1;
    }
}
