package rocker.server.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Checks that an unprivileged client only hands the (root) engine host paths it may use itself: the
 * package must be readable by the client's uid/gid, the data dir must be the client's own. Permission
 * bits are read as the kernel would apply them to the client's uid and primary gid; supplementary
 * groups and ACLs are not considered, which can only refuse more, never allow more.
 */
final class PeerPathCheck {
    private static final int R = 4;
    private static final int W = 2;
    private static final int X = 1;

    /** Why the package is not readable for {@code peer}, or empty when it is. */
    Optional<String> packageRefusal(Peer peer, String pkg) {
        Path p = Path.of(pkg);
        if (!Files.isRegularFile(p)) {
            return Optional.of("app_pkg_path '" + pkg + "': not a regular file");
        }
        if (!searchable(peer, p.getParent()) || !allowed(peer, p, R)) {
            return Optional.of("app_pkg_path '" + pkg + "': not readable by uid " + peer.uid());
        }
        return Optional.empty();
    }

    /** Why the data dir is not the peer's, or empty when it is (or may be made by it). */
    Optional<String> dataDirRefusal(Peer peer, String dataDir) {
        Path p = Path.of(dataDir);
        Path owned = Files.exists(p, LinkOption.NOFOLLOW_LINKS) ? p : p.getParent();
        if (owned == null || !Files.isDirectory(owned, LinkOption.NOFOLLOW_LINKS) || owner(owned) != peer.uid()
                || !allowed(peer, owned, W | X) || !searchable(peer, owned.getParent())) {
            return Optional.of("app_data_dir '" + dataDir + "': must be a dir of uid " + peer.uid()
                    + " (or not exist yet, in a dir of uid " + peer.uid() + ")");
        }
        return Optional.empty();
    }

    private boolean searchable(Peer peer, Path dir) {
        for (Path d = dir; d != null; d = d.getParent()) {
            if (!allowed(peer, d, X)) {
                return false;
            }
        }
        return true;
    }

    private static boolean allowed(Peer peer, Path p, int want) {
        Map<String, Object> a = attributes(p);
        if (a == null) {
            return false;
        }
        int mode = (Integer) a.get("mode");
        int bits;
        if ((Integer) a.get("uid") == peer.uid()) {
            bits = mode >> 6;
        } else if ((Integer) a.get("gid") == peer.gid()) {
            bits = mode >> 3;
        } else {
            bits = mode;
        }
        return (bits & want) == want;
    }

    private static int owner(Path p) {
        Map<String, Object> a = attributes(p);
        return a == null ? -1 : (Integer) a.get("uid");
    }

    private static Map<String, Object> attributes(Path p) {
        try {
            return Files.readAttributes(p, "unix:mode,uid,gid");
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }
}
