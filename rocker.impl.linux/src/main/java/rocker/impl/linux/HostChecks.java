package rocker.impl.linux;

import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.api.RockerRequest;
import rocker.impl.linux.sys.Fd;
import rocker.impl.linux.sys.Posix;
import rocker.impl.linux.sys.Stat;
import rocker.impl.linux.sys.SysException;

/**
 * What a valid request must also be on this host, checked before anything is changed: the overlay
 * dirs are real top-level dirs (root's, so checking them by path is safe). Each failure is
 * {@code param_invalid} naming the field and the value. Paths a client controls (image, data dir,
 * stdio, exec dir) are not checked here by path: they are opened once and checked on the descriptor
 * ({@link ImageFile}, {@link DataDir}, {@link AppStdio}, {@link ExecDir}).
 */
final class HostChecks {
    private HostChecks() {
    }

    static void check(RockerRequest r) {
        for (String dir : r.overlayDirs()) {
            // the libc bindings, not java.nio: a JVM without a UTF-8 locale cannot name a non-ASCII path there
            Stat st;
            try {
                int fd = Posix.open(dir, Fd.O_PATH | Fd.O_NOFOLLOW, 0);
                try {
                    st = Fd.stat(fd, dir);
                } finally {
                    Posix.close(fd);
                }
            } catch (SysException e) {
                st = null;
            }
            if (st != null && st.isSymlink()) fail("app_overlay_dirs", dir, "is a symbolic link; name the real dir");
            if (st == null || !st.isDir()) fail("app_overlay_dirs", dir, "is not a dir on this host");
        }
    }

    private static void fail(String field, String value, String why) {
        throw new RockerException(RockerError.PARAM_INVALID, field + " '" + value + "': " + why);
    }
}
