package rocker.server.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;

/**
 * The socket's file in the file system: prepares its place (state dir, stale socket), sets its mode
 * and group, and removes it again, but only while it is still the file this server made.
 */
final class SocketFile {
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;
    private static final PosixFilePermission[] BITS = {
        PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
        PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
        PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ,
    };

    private final Path path;
    private Object fileKey;

    SocketFile(Path path) {
        this.path = path;
    }

    /**
     * Makes the state dir and the socket's dir (mode 0755 when new) and removes a stale socket left by
     * a server that died. Refuses to touch a path that is not a socket or that a live server answers on.
     */
    void prepare(Path stateDir) throws IOException {
        createDir(stateDir);
        createDir(path.toAbsolutePath().getParent());
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if ((mode & S_IFMT) != S_IFSOCK) {
            throw new IOException(path + " exists and is not a socket; not touching it");
        }
        if (answers()) {
            throw new IOException("another server is listening on " + path);
        }
        Files.delete(path);
    }

    /**
     * Where to bind: a name of its own beside the socket's. The socket gets its final name only once it
     * listens and has its mode and group ({@link #publish}), so a client (or a readiness check) that sees
     * the file can connect: bind and listen are two calls, and a connect between them is refused.
     */
    Path bindPath() {
        return path.resolveSibling("." + path.getFileName() + "." + ProcessHandle.current().pid());
    }

    /** Sets mode and group of the bound, listening socket, gives it its name and remembers which file it is. */
    void publish(int mode, String group) throws IOException {
        Path bound = bindPath();
        try {
            Files.setPosixFilePermissions(bound, permissions(mode));
            if (!group.isEmpty()) {
                GroupPrincipal g = path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(group);
                Files.getFileAttributeView(bound, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setGroup(g);
            }
            Object key = Files.readAttributes(bound, "unix:ino,dev", LinkOption.NOFOLLOW_LINKS);
            Files.move(bound, path, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            fileKey = key;
        } finally {
            Files.deleteIfExists(bound);
        }
    }

    /** Removes the socket file if it is still the one {@link #secure} saw. */
    boolean remove() {
        try {
            if (fileKey != null && fileKey.equals(Files.readAttributes(path, "unix:ino,dev", LinkOption.NOFOLLOW_LINKS))) {
                Files.delete(path);
                return true;
            }
        } catch (IOException ignored) {
            // gone already
        }
        return false;
    }

    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        for (int bit = 0; bit < BITS.length; bit++) {
            if ((mode & (1 << bit)) != 0) {
                set.add(BITS[bit]);
            }
        }
        return set;
    }

    private boolean answers() {
        try (UnixSocketChannel probe = UnixSocketChannel.open(new UnixSocketAddress(path.toFile()))) {
            return probe.isConnected();
        } catch (IOException e) {
            return false;
        }
    }

    private static void createDir(Path dir) throws IOException {
        if (dir != null && !Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(permissions(0755)));
        }
    }
}
