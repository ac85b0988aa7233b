package rocker.api;

import java.io.OutputStream;
import java.util.Objects;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Where one of the app's standard streams goes. The app never inherits any other file descriptor.
 */
@ProviderType
public final class Stdio {
    /** The kinds of stdio handling. */
    @ProviderType
    public enum Kind {
        /** {@code /dev/null}. */
        DISCARD,
        /** The calling JVM's own stream (fd 0, 1 or 2). */
        INHERIT,
        /** A host file, created if missing (owned by the app's uid/gid) and appended to. */
        FILE,
        /** A log file under the data dir: {@code <data dir>/log/stdout.log} or {@code stderr.log}. */
        LOG,
        /** Copied into an {@link OutputStream} of the caller (stdout and stderr only). */
        STREAM
    }

    private static final Stdio DISCARD = new Stdio(Kind.DISCARD, null, null);
    private static final Stdio INHERIT = new Stdio(Kind.INHERIT, null, null);
    private static final Stdio LOG = new Stdio(Kind.LOG, null, null);

    private final Kind kind;
    private final String path;
    private final OutputStream stream;

    private Stdio(Kind kind, String path, OutputStream stream) {
        this.kind = kind;
        this.path = path;
        this.stream = stream;
    }

    public static Stdio discard() { return DISCARD; }
    public static Stdio inherit() { return INHERIT; }
    public static Stdio log() { return LOG; }

    /** A host file (absolute path), appended to. */
    public static Stdio file(String path) {
        return new Stdio(Kind.FILE, Objects.requireNonNull(path, "path"), null);
    }

    /** The app's output is copied into {@code out}, which is closed when the app closes its end. */
    public static Stdio stream(OutputStream out) {
        return new Stdio(Kind.STREAM, null, Objects.requireNonNull(out, "out"));
    }

    public Kind kind() { return kind; }
    /** The host path of {@link Kind#FILE}, else {@code null}. */
    public String path() { return path; }
    /** The stream of {@link Kind#STREAM}, else {@code null}. */
    public OutputStream stream() { return stream; }

    @Override
    public String toString() {
        return kind == Kind.FILE ? "FILE(" + path + ")" : kind.name();
    }
}
