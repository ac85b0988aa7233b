package rocker.impl.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;

import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.api.RockerRequest;
import rocker.impl.linux.sys.Posix;
import rocker.impl.linux.sys.SysException;

/**
 * The host side of a rocker's data dir. Layout (docs/engine.md):
 * <pre>
 *   DATA/upper/NAME   the overlay's upper dir for overlay dir /NAME: every write of the app there
 *   DATA/work/NAME    overlayfs' work dir for /NAME (kernel-private)
 *   DATA/log/         stdout.log and stderr.log of the app (Stdio.log())
 * </pre>
 * Upper dirs get the owner and mode of the host dir they cover, so the merged dir looks like the
 * host's. What this rocker created is removed again if the rocker cannot be built (only while
 * empty: nothing is ever lost from a data dir).
 */
final class DataDir {
    private final String root;
    private final Deque<String> created = new ArrayDeque<>();

    DataDir(String root) {
        this.root = root;
    }

    String upper(String overlayDir) {
        return root + "/upper" + overlayDir;
    }

    String work(String overlayDir) {
        return root + "/work" + overlayDir;
    }

    String log(String file) {
        return root + "/log/" + file;
    }

    /** Creates the data dir, the upper and work dirs of every overlay and the log dir. */
    void prepare(RockerRequest request) {
        try {
            mkdirs(root, 0755, 0, 0);
            mkdirs(root + "/upper", 0755, 0, 0);
            mkdirs(root + "/work", 0700, 0, 0);
            for (String dir : request.overlayDirs()) {
                Map<String, Object> lower = Files.readAttributes(Path.of(dir), "unix:uid,gid,mode");
                int mode = (Integer) lower.get("mode") & 07777;
                mkdirs(upper(dir), mode, (Integer) lower.get("uid"), (Integer) lower.get("gid"));
                mkdirs(work(dir), 0700, 0, 0);
            }
            mkdirs(root + "/log", 0755, 0, 0);
        } catch (IOException | SysException e) {
            rollback();
            throw new RockerException(RockerError.BUILD_ROCKER_FAILED, "cannot prepare the data dir " + root + ": "
                    + e.getMessage(), e);
        }
    }

    private void mkdirs(String path, int mode, int uid, int gid) {
        Path p = Path.of(path);
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) return;
        Path parent = p.getParent();
        if (parent != null && !Files.isDirectory(parent)) mkdirs(parent.toString(), 0755, 0, 0);
        if (Posix.mkdir(path, mode)) {
            created.push(path);
            Posix.chown(path, uid, gid);
            Posix.chmod(path, mode); // not narrowed by the umask
        }
    }

    /**
     * Removes the dirs this rocker created, newest first, as long as they hold nothing but empty
     * dirs (overlayfs leaves an empty "work" dir in each work dir): nothing is lost from a data dir.
     */
    void rollback() {
        while (!created.isEmpty()) {
            deleteIfOnlyEmptyDirs(Path.of(created.pop()));
        }
    }

    private static boolean deleteIfOnlyEmptyDirs(Path dir) {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) return !Files.exists(dir, LinkOption.NOFOLLOW_LINKS);
        boolean empty = true;
        try (java.util.stream.Stream<Path> children = Files.list(dir)) {
            for (Path c : (Iterable<Path>) children::iterator) {
                empty &= Files.isDirectory(c, LinkOption.NOFOLLOW_LINKS) && deleteIfOnlyEmptyDirs(c);
            }
            if (empty) Files.delete(dir);
            return empty;
        } catch (IOException e) {
            return false;
        }
    }

    /** The rocker was built: what was created now belongs to the data dir. */
    void commit() {
        created.clear();
    }
}
