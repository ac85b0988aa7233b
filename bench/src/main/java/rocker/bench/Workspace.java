package rocker.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import rocker.api.RockerApp;
import rocker.api.RockerRequest;
import rocker.api.Stdio;
import rocker.testsupport.WorkDirs;

/**
 * The bench's private work dir under /tmp: the app image, the exec dir, the data dirs. Removed by
 * {@link Cleanup} at the end. Every start, whoever does it, uses the same image, exec dir, overlay dirs
 * (the seed's five), identity (uid/gid 1000) and app (the static {@code marker}, which writes
 * {@link #MARKER} in the overlaid /var and exits).
 */
final class Workspace {
    static final List<String> OVERLAYS = RockerRequest.SEED_OVERLAY_DIRS;
    static final int UID = 1000;
    static final int GID = 1000;
    /** Where the app writes, inside the sandbox: under the overlaid /var, so it lands in the data dir. */
    static final String MARKER = "/var/tmp/rocker-bench-marker";
    private static final Pattern MARKER_TEXT = Pattern.compile("ok \\d+ " + UID + "\n");

    final Path root;
    /** Where the engines' and servers' state dirs go: a tmpfs when there is one (see {@link #stateParent()}). */
    final Path stateRoot;
    final Path image;
    final Path exec;
    final Path nativeDir;

    private Workspace(Path root, Path stateRoot, Path image, Path exec, Path nativeDir) {
        this.root = root;
        this.stateRoot = stateRoot;
        this.image = image;
        this.exec = exec;
        this.nativeDir = nativeDir;
    }

    static Workspace create(Path nativeDir, Cleanup cleanup) throws IOException, InterruptedException {
        Path root = WorkDirs.create(Path.of("/tmp"), "rocker-bench-");
        cleanup.add("work dir " + root, () -> WorkDirs.delete(root));
        Path src = Files.createDirectories(root.resolve("image.src"));
        Files.copy(nativeDir.resolve("marker"), src.resolve("marker"), StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(src.resolve("pg.sh"), PgBench.SCRIPT);
        for (Path p : List.of(src.resolve("marker"), src.resolve("pg.sh"))) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        Path image = root.resolve("app.squashfs");
        Proc.Result r = Proc.run(List.of("mksquashfs", src.toString(), image.toString(), "-noappend", "-quiet",
                "-no-progress", "-all-root"), root.resolve("mksquashfs.log"), 60, TimeUnit.SECONDS);
        if (r.exit != 0) throw new IOException("mksquashfs failed: " + r.output());
        installed(image);
        Path exec = Files.createDirectories(root.resolve("exec"));
        Files.createDirectories(root.resolve("data"));
        Files.createDirectories(root.resolve("logs"));
        Path parent = stateParent();
        Path stateRoot = parent.equals(Path.of("/tmp")) ? Files.createDirectories(root.resolve("state"))
                : WorkDirs.create(parent, "rocker-bench-state-");
        if (!stateRoot.startsWith(root)) cleanup.add("state dir " + stateRoot, () -> WorkDirs.delete(stateRoot));
        return new Workspace(root, stateRoot, image, exec, nativeDir);
    }

    /**
     * {@code image} as an app manager installs it: root's and 0644 whatever the umask. An image that someone
     * besides root can change is copied before a loop device reads it (docs/security.md), which is not what the
     * bench measures.
     */
    static Path installed(Path image) throws IOException {
        Files.setPosixFilePermissions(image, PosixFilePermissions.fromString("rw-r--r--"));
        return image;
    }

    /**
     * The parent of the state dirs: /run, as the engine's default state dir /run/rocker, when it is a tmpfs
     * (as on every systemd gateway); else /dev/shm, a tmpfs too; else /tmp. The state dir holds only what
     * describes processes (records, lock files, status sockets, the extracted guard): its place on tmpfs
     * is the deployment the engine is made for, and on a journaling file system a start pays ~1-2 ms for
     * creating and renaming those files (docs/performance.md).
     */
    static Path stateParent() {
        for (String p : List.of("/run", "/dev/shm")) {
            if (fsType(Path.of(p)).equals("tmpfs")) return Path.of(p);
        }
        return Path.of("/tmp");
    }

    static String fsType(Path p) {
        try {
            return Files.getFileStore(p).type();
        } catch (IOException e) {
            return "?";
        }
    }

    /** The state dir {@code name} (made by whoever uses it). */
    Path state(String name) {
        return stateRoot.resolve(name);
    }

    /** A fresh parent for the data dirs of one part of the bench. */
    Path dataRoot(String part) throws IOException {
        return Files.createDirectories(root.resolve("data").resolve(part));
    }

    Path log(String name) {
        return root.resolve("logs").resolve(name);
    }

    /** The seed's request shape for data dir {@code data}. */
    RockerRequest.Builder request(Path data) {
        return RockerRequest.builder().appId(7).uid(UID).gid(GID)
                .pkgPath(image.toString())
                .execDir(exec.toString())
                .dataDir(data.toString())
                .overlayDirs(OVERLAYS);
    }

    RockerApp app() {
        return RockerApp.builder().command(exec + "/marker")
                .stdin(Stdio.discard()).stdout(Stdio.discard()).stderr(Stdio.discard()).build();
    }

    /**
     * An app whose output is streamed to {@code out} (through the socket: the server copies it): the
     * host's {@code /bin/echo streamed} (the rocker sees the host's /usr through its overlay).
     */
    RockerApp streamedApp(java.io.OutputStream out) {
        return RockerApp.builder().command("/bin/echo", "streamed")
                .stdin(Stdio.discard()).stdout(Stdio.stream(out)).stderr(Stdio.stream(out)).build();
    }

    /** Whether the app of the start that used data dir {@code data} wrote its marker through the overlay. */
    static boolean markerWritten(Path data) {
        Path m = data.resolve("upper" + MARKER);
        try {
            return Files.exists(m) && MARKER_TEXT.matcher(Files.readString(m)).matches();
        } catch (IOException e) {
            return false;
        }
    }
}
