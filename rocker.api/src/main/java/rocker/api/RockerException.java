package rocker.api;

import org.osgi.annotation.versioning.ProviderType;

/** A failed Rocker operation as an exception, carrying its {@link RockerError}. */
@ProviderType
public class RockerException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final RockerError error;

    public RockerException(RockerError error, String message) {
        super(message);
        this.error = error == null ? RockerError.UNKNOWN : error;
    }

    public RockerException(RockerError error, String message, Throwable cause) {
        super(message, cause);
        this.error = error == null ? RockerError.UNKNOWN : error;
    }

    public RockerError error() {
        return error;
    }

    /** This failure as a result, the shape every {@link RockerClient} operation returns. */
    public RockerResult toResult() {
        return RockerResult.failure(error, getMessage());
    }
}
