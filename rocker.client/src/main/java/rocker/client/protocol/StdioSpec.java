package rocker.client.protocol;

import java.util.Objects;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Where one of the app's standard streams goes, as it travels on the wire. {@link Kind#STREAM} means
 * "send it back on this connection"; a host path is only carried for {@link Kind#FILE}.
 *
 * @param kind the kind
 * @param path the host path of {@link Kind#FILE}, else {@code null}
 */
@ProviderType
public record StdioSpec(Kind kind, String path) {
    /** Wire kinds: in version 1 the ordinal is the wire code, in version 2 the lower-case name. */
    @ProviderType
    public enum Kind { DISCARD, LOG, FILE, STREAM }

    public static final StdioSpec DISCARD = new StdioSpec(Kind.DISCARD, null);
    public static final StdioSpec LOG = new StdioSpec(Kind.LOG, null);
    public static final StdioSpec STREAM = new StdioSpec(Kind.STREAM, null);

    public StdioSpec {
        Objects.requireNonNull(kind, "kind");
        if ((kind == Kind.FILE) != (path != null)) {
            throw new IllegalArgumentException("a path goes with FILE and only with FILE");
        }
    }

    public static StdioSpec file(String path) {
        return new StdioSpec(Kind.FILE, path);
    }
}
