package rocker.impl.linux;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.api.RockerRequest;

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
            Path p = Path.of(dir);
            if (Files.isSymbolicLink(p)) fail("app_overlay_dirs", dir, "is a symbolic link; name the real dir");
            if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) fail("app_overlay_dirs", dir, "is not a dir on this host");
        }
    }

    private static void fail(String field, String value, String why) {
        throw new RockerException(RockerError.PARAM_INVALID, field + " '" + value + "': " + why);
    }
}
