package rocker.server;

import org.osgi.annotation.versioning.ProviderType;

/**
 * What the server component is doing; registered as a service while the server is configured (PID
 * {@value ServerConfig#PID}). {@code rocker serve} watches it to report success or failure.
 */
@ProviderType
public interface ServerStatus {
    /** The server's states. */
    @ProviderType
    enum State {
        /** Not listening: not started yet, or stopped. */
        WAITING,
        /** Bound and accepting. */
        LISTENING,
        /** Should listen but could not. */
        FAILED
    }

    State state();

    /** The socket path when listening, else why not. */
    String detail();
}
