package rocker.impl.linux;

import java.util.ArrayList;
import java.util.List;

import rocker.api.RockerCaller;
import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.api.RockerRequest;
import rocker.api.SharedDir;
import rocker.impl.linux.sys.Credentials;
import rocker.impl.linux.sys.Errno;
import rocker.impl.linux.sys.Fd;
import rocker.impl.linux.sys.Posix;
import rocker.impl.linux.sys.Stat;
import rocker.impl.linux.sys.SysException;

/**
 * The host paths a request shares with its app: the devices for its /dev and the shared dirs. Opened
 * once, on the mount thread inside the rocker's namespace (a bind mount only takes a source of its own
 * namespace) before any overlay hides them, with the caller's credentials: a user may only name
 * devices it can open (checked on the opened node: its owner, group and mode against the user's uid
 * and gid) and dirs it owns. Symlinks in these paths are followed as the caller (e.g.
 * /dev/serial/by-id/...), which can only reach what the caller can reach; the result is checked on the
 * descriptor.
 */
final class HostPaths {
    /** A host path and its descriptor. */
    static final class Opened {
        final String path;
        final int fd;
        final boolean readOnly;

        Opened(String path, int fd, boolean readOnly) {
            this.path = path;
            this.fd = fd;
            this.readOnly = readOnly;
        }
    }

    private final RockerRequest request;
    private final RockerCaller caller;
    private final List<Opened> devices = new ArrayList<>();
    private final List<Opened> shares = new ArrayList<>();

    HostPaths(RockerRequest request, RockerCaller caller) {
        this.request = request;
        this.caller = caller;
    }

    MountOp step() {
        return MountOp.of("open the shared dirs and devices", () -> {
            if (caller.isEngine()) {
                openAll();
            } else {
                Credentials.onThisThread(caller.uid(), caller.gid(), caller.groups(), () -> {
                    openAll();
                    return null;
                });
            }
        });
    }

    private void openAll() {
        for (String d : request.devices()) {
            devices.add(new Opened(d, device(d), false));
        }
        for (SharedDir s : request.sharedDirs()) {
            shares.add(new Opened(s.path(), dir(s.path()), s.isReadOnly()));
        }
    }

    private int device(String path) {
        int fd = open("devices", path, Fd.O_PATH);
        Stat s = statOrClose(fd, path);
        int type = s.mode & Stat.S_IFMT;
        if (type != 0020000 && type != 0060000) {
            Posix.close(fd);
            throw new RockerException(RockerError.PARAM_INVALID, "devices '" + path + "': is " + s.kind() + ", not a device node");
        }
        if (!caller.isEngine() && !mayUse(s)) {
            Posix.close(fd);
            throw new RockerException(RockerError.SYS, "permission denied: devices '" + path + "': uid " + caller.uid()
                    + " may not open it");
        }
        return fd;
    }

    /** The opened {@code fd}'s stat; the fd is closed when that fails. */
    private static Stat statOrClose(int fd, String path) {
        try {
            return Fd.stat(fd, path);
        } catch (SysException e) {
            Posix.close(fd);
            throw e;
        }
    }

    /** Read or write access by the permission bits that apply to the caller's uid and gid (no groups). */
    private boolean mayUse(Stat s) {
        int bits = s.uid == caller.uid() ? s.mode >> 6 : s.gid == caller.gid() ? s.mode >> 3 : s.mode;
        return (bits & 06) != 0;
    }

    private int dir(String path) {
        int fd = open("shared_dirs", path, Posix.O_RDONLY | Fd.O_DIRECTORY);
        if (!caller.isEngine()) {
            Stat s = statOrClose(fd, path);
            if (s.uid != caller.uid()) {
                Posix.close(fd);
                throw new RockerException(RockerError.SYS, "permission denied: shared_dirs '" + path + "': must be a dir of uid "
                        + caller.uid() + " (it belongs to uid " + s.uid + ")");
            }
        }
        return fd;
    }

    private int open(String field, String path, int flags) {
        try {
            return caller.isEngine() ? Posix.open(path, flags, 0) : Fd.openNoMagicLinks(path, flags, 0);
        } catch (SysException e) {
            switch (e.errno()) {
                case Errno.ENOENT:
                    throw new RockerException(RockerError.PARAM_INVALID, field + " '" + path + "': does not exist");
                case Errno.ENOTDIR:
                    throw new RockerException(RockerError.PARAM_INVALID, field + " '" + path + "': is not a dir");
                case Errno.EACCES:
                case Errno.EPERM:
                    throw new RockerException(RockerError.SYS, "permission denied: " + field + " '" + path + "': uid "
                            + caller.uid() + " may not reach it");
                default:
                    throw e;
            }
        }
    }

    List<Opened> devices() {
        return devices;
    }

    List<Opened> shares() {
        return shares;
    }

    void close() {
        devices.forEach(d -> Posix.close(d.fd));
        shares.forEach(d -> Posix.close(d.fd));
        devices.clear();
        shares.clear();
    }
}
