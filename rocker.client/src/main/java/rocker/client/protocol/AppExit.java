package rocker.client.protocol;

import org.osgi.annotation.versioning.ProviderType;

import java.util.Objects;

import rocker.api.RockerError;

/**
 * What an EXITED frame tells of a watched rocker: its app's exit status (as {@code waitForApp}), or why
 * it cannot be watched (an error and its message).
 */
@ProviderType
public record AppExit(String guardName, int status, RockerError error, String message) {
    public AppExit {
        Objects.requireNonNull(guardName, "guardName");
        Objects.requireNonNull(error, "error");
    }

    /** The app ended with {@code status}. */
    public static AppExit ended(String guardName, int status) {
        return new AppExit(guardName, status, RockerError.SUCCESS, null);
    }

    /** The rocker's app cannot be watched. */
    public static AppExit failed(String guardName, RockerError error, String message) {
        if (error == RockerError.SUCCESS) throw new IllegalArgumentException("a failure needs an error");
        return new AppExit(guardName, 0, error, message == null ? "" : message);
    }

    public boolean ended() {
        return error == RockerError.SUCCESS;
    }
}
