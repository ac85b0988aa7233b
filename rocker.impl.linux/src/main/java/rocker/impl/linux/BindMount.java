package rocker.impl.linux;

import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.impl.linux.sys.Errno;
import rocker.impl.linux.sys.Fd;
import rocker.impl.linux.sys.Posix;

/**
 * A bind mount of an opened dir onto an opened dir, then remounted {@code nosuid,nodev} (and read-only
 * when asked). A remount must name the new mount's root, which the target's descriptor (opened before)
 * does not: the target is walked again from "/" with no symlink followed, and it must be another mount
 * now.
 */
final class BindMount {
    private BindMount() {
    }

    static void bind(int source, int target, String targetPath, boolean readOnly) {
        Posix.close(bindAndOpen(source, target, targetPath, readOnly));
    }

    /**
     * {@link #bind}, and an opened dir on the new mount when it is writable (the caller's to close), else -1: a
     * source on a read-only mount (a host dir bound read-only by its admin) stays read-only, asked or not.
     */
    static int bindAndOpen(int source, int target, String targetPath, boolean readOnly) {
        int before = Fd.mountId(target, targetPath);
        Posix.mount(Fd.procPath(source), Fd.procPath(target), null, Posix.MS_BIND, null);
        try (RootWalk bound = RootWalk.dir(targetPath)) {
            int id = bound.fd() < 0 ? before : Fd.mountId(bound.fd(), targetPath);
            if (id == before) {
                throw new RockerException(RockerError.BUILD_ROCKER_FAILED, "cannot bind a dir on " + targetPath + ": it was "
                        + (bound.fd() < 0 ? bound.skipped() : "replaced") + " while it was being mounted");
            }
            // the new mount has the source mount's flags: read-only stays read-only
            boolean ro = readOnly || onReadOnlyMount(bound.fd(), id);
            Posix.mount(null, Fd.procPath(bound.fd()), null, Posix.MS_BIND | Posix.MS_REMOUNT | Posix.MS_NOSUID | Posix.MS_NODEV
                    | (ro ? Posix.MS_RDONLY : 0), null);
            return ro ? -1 : Fd.openat(bound.fd(), ".", Fd.O_PATH | Fd.O_DIRECTORY, 0, targetPath);
        }
    }

    /** Whether the mount {@code id} (of the open dir {@code fd}) is read-only: EROFS from a write check, else its options. */
    private static boolean onReadOnlyMount(int fd, int id) {
        int e = Fd.writeAccess(fd);
        if (e == 0 || e == Errno.EROFS) return e == Errno.EROFS;
        return ReadOnlyHost.isReadOnly(id); // an immutable dir (EPERM) or an LSM's refusal: mountinfo says
    }
}
