package rocker.client.protocol;

import java.time.Duration;
import org.osgi.annotation.versioning.ProviderType;

/** A point in time after which an I/O operation gives up; {@link #none()} never expires. */
@ProviderType
public final class Deadline {
    private static final Deadline NONE = new Deadline(0, false);

    private final long atNanos;
    private final boolean bounded;

    private Deadline(long atNanos, boolean bounded) {
        this.atNanos = atNanos;
        this.bounded = bounded;
    }

    /** A deadline {@code timeout} from now. */
    public static Deadline in(Duration timeout) {
        return new Deadline(System.nanoTime() + timeout.toNanos(), true);
    }

    /** A deadline that never expires. */
    public static Deadline none() {
        return NONE;
    }

    public boolean expired() {
        return bounded && System.nanoTime() - atNanos >= 0;
    }
}
