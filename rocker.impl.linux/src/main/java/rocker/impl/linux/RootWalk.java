package rocker.impl.linux;

import rocker.impl.linux.sys.Errno;
import rocker.impl.linux.sys.Fd;
import rocker.impl.linux.sys.Posix;
import rocker.impl.linux.sys.Stat;
import rocker.impl.linux.sys.SysException;

/**
 * An absolute path opened in the current mount namespace one name at a time from "/", following no
 * symbolic link (a name in an upper dir of a user's data dir is the user's: a planted symlink must not
 * lead a mount elsewhere), as {@link ExecDir} does, but creating nothing: when a name is missing, is a
 * symbolic link or is not a dir, nothing is opened and {@link #skipped()} says why. Other errors throw.
 */
final class RootWalk implements AutoCloseable {
    private final String path;
    private int parent = -1;
    private int fd = -1;
    private String skipped;

    private RootWalk(String path) {
        this.path = path;
    }

    /** The dir {@code path} (absolute, no "." or ".."), opened {@code O_DIRECTORY|O_NOFOLLOW}. */
    static RootWalk dir(String path) {
        return walk(path, false);
    }

    /** The file (any type but a symlink) {@code path}, opened {@code O_PATH|O_NOFOLLOW}; its parent dir stays open. */
    static RootWalk file(String path) {
        return walk(path, true);
    }

    /**
     * As {@link #file(String)}, the path given as the kernel's raw bytes (a mount point, whose name need not
     * be UTF-8: as a String it could not be named again); {@code shown} is for messages.
     */
    static RootWalk file(byte[] path, String shown) {
        java.util.List<byte[]> names = new java.util.ArrayList<>();
        int from = 1;
        for (int i = 1; i <= path.length; i++) {
            if (i == path.length || path[i] == '/') {
                names.add(java.util.Arrays.copyOfRange(path, from, i));
                from = i + 1;
            }
        }
        return walk(shown, names.size(), true, (dir, i, asFile, at) -> Fd.openat(dir, names.get(i),
                asFile ? Fd.O_PATH | Fd.O_NOFOLLOW : Posix.O_RDONLY | Fd.O_DIRECTORY | Fd.O_NOFOLLOW, 0, at),
                i -> new String(names.get(i), java.nio.charset.StandardCharsets.UTF_8), true);
    }

    private static RootWalk walk(String path, boolean file) {
        String[] names = path.substring(1).split("/");
        return walk(path, names.length, file, (dir, i, asFile, at) -> asFile ? Fd.openat(dir, names[i], Fd.O_PATH | Fd.O_NOFOLLOW, 0, at)
                : Fd.openDir(dir, names[i], at), i -> names[i], false);
    }

    /** Opens name {@code i} of a walk in {@code dir}: as a file (the last of a file walk) or as a dir. */
    private interface Opener {
        int open(int dir, int i, boolean asFile, String at);
    }

    /**
     * {@code statRefusedIsNoLink}: a last name whose stat is refused (EACCES: the root of another user's
     * FUSE mount without allow_other answers root nothing) counts as no symlink; for a mount point, whose
     * caller checks the mount id (which needs no stat) before it uses it.
     */
    private static RootWalk walk(String path, int count, boolean file, Opener opener, java.util.function.IntFunction<String> shown,
            boolean statRefusedIsNoLink) {
        RootWalk w = new RootWalk(path);
        int cur = Posix.open("/", Posix.O_RDONLY | Fd.O_DIRECTORY, 0);
        StringBuilder at = new StringBuilder();
        try {
            for (int i = 0; i < count; i++) {
                at.append('/').append(shown.apply(i));
                boolean last = i == count - 1;
                int next;
                try {
                    next = opener.open(cur, i, last && file, at.toString());
                } catch (SysException e) {
                    w.skipped = why(e, at.toString());
                    return w;
                }
                if (last) {
                    w.parent = cur;
                    cur = -1;
                    w.fd = next;
                    if (file && isSymlink(next, at.toString(), statRefusedIsNoLink)) {
                        w.close(); // O_PATH|O_NOFOLLOW opens a symlink itself
                        w.skipped = at + " is a symbolic link";
                    }
                    return w;
                }
                Posix.close(cur);
                cur = next;
            }
            return w;
        } catch (RuntimeException e) {
            w.close();
            throw e;
        } finally {
            Posix.close(cur);
        }
    }

    private static boolean isSymlink(int fd, String at, boolean refusedIsNo) {
        try {
            return (Fd.stat(fd, at).mode & Stat.S_IFMT) == Stat.S_IFLNK;
        } catch (SysException e) {
            if (refusedIsNo && e.errno() == Errno.EACCES) return false;
            throw e;
        }
    }

    private static String why(SysException e, String at) {
        switch (e.errno()) {
            case Errno.ENOENT:
                return at + " does not exist";
            case Errno.ELOOP:
                return at + " is a symbolic link";
            case Errno.ENOTDIR:
                return at + " is not a dir";
            default:
                throw e;
        }
    }

    String path() {
        return path;
    }

    /** The opened dir or file, or -1. */
    int fd() {
        return fd;
    }

    /** The opened dir that holds the last name, or -1. */
    int parent() {
        return parent;
    }

    /** Why nothing was opened ("/run/x is a symbolic link"), or null. */
    String skipped() {
        return skipped;
    }

    /** The last name of the path. */
    String leaf() {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    @Override
    public void close() {
        Posix.close(fd);
        Posix.close(parent);
        fd = -1;
        parent = -1;
    }
}
