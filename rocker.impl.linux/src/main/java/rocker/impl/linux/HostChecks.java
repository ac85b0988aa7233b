package rocker.impl.linux;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.api.RockerRequest;

/**
 * What a valid request must also be on this host, checked before anything is changed: the image
 * is a readable squashfs file, the overlay dirs are real dirs, the exec and data dirs are dirs if
 * they exist. Each failure is {@code param_invalid} naming the field and the value.
 */
final class HostChecks {
    /** "hsqs": the squashfs superblock magic, little-endian. */
    private static final byte[] SQUASHFS_MAGIC = {'h', 's', 'q', 's'};

    private HostChecks() {
    }

    static void check(RockerRequest r) {
        image(r.pkgPath());
        for (String dir : r.overlayDirs()) {
            Path p = Path.of(dir);
            if (Files.isSymbolicLink(p)) fail("app_overlay_dirs", dir, "is a symbolic link; name the real dir");
            if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) fail("app_overlay_dirs", dir, "is not a dir on this host");
        }
        dirIfExists("app_exec_dir", r.execDir());
        dirIfExists("app_data_dir", r.dataDir());
    }

    private static void image(String pkg) {
        Path p = Path.of(pkg);
        if (!Files.exists(p)) fail("app_pkg_path", pkg, "does not exist");
        if (!Files.isRegularFile(p)) fail("app_pkg_path", pkg, "is not a regular file");
        byte[] head = new byte[4];
        try (InputStream in = Files.newInputStream(p)) {
            if (in.readNBytes(head, 0, 4) != 4 || !java.util.Arrays.equals(head, SQUASHFS_MAGIC)) {
                fail("app_pkg_path", pkg, "is not a squashfs image");
            }
        } catch (IOException e) {
            fail("app_pkg_path", pkg, "cannot be read: " + e.getMessage());
        }
    }

    private static void dirIfExists(String field, String path) {
        Path p = Path.of(path);
        if (Files.exists(p, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            fail(field, path, "exists and is not a dir");
        }
        for (Path q = p; q != null; q = q.getParent()) {
            if (Files.isRegularFile(q, LinkOption.NOFOLLOW_LINKS)) fail(field, path, q + " is a file");
        }
    }

    private static void fail(String field, String value, String why) {
        throw new RockerException(RockerError.PARAM_INVALID, field + " '" + value + "': " + why);
    }
}
