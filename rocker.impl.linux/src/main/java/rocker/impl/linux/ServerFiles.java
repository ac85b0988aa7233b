package rocker.impl.linux;

import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's files, out of reach inside every rocker (docs/engine.md, docs/security.md): the engine's
 * state dir (registry, extracted guards) and the configured {@code hiddenPaths} (the server's socket
 * dir) are hidden under an empty read-only tmpfs ({@link HideDir}); the guard executable, when it lies
 * outside them, is bind-mounted read-only ({@link ReadOnlyFile}).
 *
 * <p>"/" and a top-level dir (/tmp, /run) are never hidden: hiding them would hide the host's whole
 * dir from every app. Such a path is refused with a warning (a socket should live in a dir of its own).
 * The paths are resolved to the host's real paths (the engine's own mount namespace: root's config)
 * for every build, so that a symlink like /var/run is followed on the host and never inside a rocker.
 */
final class ServerFiles {
    private static final Logger LOG = LoggerFactory.getLogger(ServerFiles.class);

    private final List<Path> hidden;
    private final Set<String> warned = ConcurrentHashMap.newKeySet();

    ServerFiles(Path stateDir, List<String> hiddenPaths) {
        List<Path> accepted = new ArrayList<>();
        accept(stateDir.toAbsolutePath().toString(), "the state dir", accepted);
        for (String p : hiddenPaths) {
            accept(p, "hiddenPaths", accepted);
        }
        this.hidden = Collections.unmodifiableList(accepted);
    }

    private void accept(String p, String what, List<Path> accepted) {
        String why = refusal(p);
        if (why != null) {
            warnOnce(p, "rocker engine: " + what + " '" + p + "' is not hidden inside rockers: " + why);
            return;
        }
        Path n = Path.of(p).normalize();
        if (!accepted.contains(n)) accepted.add(n);
    }

    /** Why {@code p} cannot be hidden, or null. */
    static String refusal(String p) {
        if (p == null || p.isBlank()) return "it is empty";
        Path n;
        try {
            n = Path.of(p);
        } catch (InvalidPathException e) {
            return "it is not a path";
        }
        if (!n.isAbsolute()) return "it is not an absolute path";
        return depthRefusal(n.normalize());
    }

    private static String depthRefusal(Path n) {
        if (n.getNameCount() == 0) return "it is /";
        if (n.getNameCount() == 1) {
            return "it is a top-level dir, which stays visible (a socket should live in a dir of its own, e.g. "
                    + n + "/rocker/)";
        }
        return null;
    }

    /** The hidden paths as configured (absolute, normalized, at least two names). */
    List<Path> hidden() {
        return hidden;
    }

    /**
     * The mount plan's steps for one build: hide each hidden dir (its real path on the host), then make
     * {@code guardPath} read-only unless it lies in a hidden dir.
     */
    List<MountOp> ops(String guardPath) {
        List<Path> dirs = new ArrayList<>();
        for (Path p : hidden) {
            Path real = real(p);
            String why = depthRefusal(real);
            if (why != null) {
                warnOnce(p + "->" + real, "rocker engine: '" + p + "' is " + real + " on the host and is not hidden inside rockers: " + why);
            } else if (!dirs.contains(real)) {
                dirs.add(real);
            }
        }
        List<MountOp> ops = new ArrayList<>();
        for (Path d : dirs) {
            ops.add(new HideDir(d.toString()));
        }
        if (guardPath != null && !guardPath.isBlank()) {
            Path guard = real(Path.of(guardPath).toAbsolutePath().normalize());
            if (dirs.stream().noneMatch(guard::startsWith)) {
                ops.add(new ReadOnlyFile(guard.toString(), "the guard executable"));
            }
        }
        return ops;
    }

    /** The host's real path (symlinks followed), or the path itself when it does not exist (yet). */
    private static Path real(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p;
        }
    }

    private void warnOnce(String key, String message) {
        if (warned.add(key)) LOG.warn(message);
    }
}
