package rocker.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The seed's {@code ROCKER_ERR}: every failure Rocker reports, with the C API's numeric values.
 */
@ProviderType
public enum RockerError {
    UNKNOWN(-1),
    SUCCESS(0),
    /** A system call failed (resources, privileges, the kernel said no). */
    SYS(1),
    /** The request or the app is not valid; the message names the field. */
    PARAM_INVALID(2),
    /** The server's Unix socket address is not usable. */
    SERVER_UNADDR_INVALID(3),
    /** The client could not set up its own end of the connection. */
    GEN_LOCAL_ADDR_FAILED(4),
    /** The request could not be sent to the server. */
    SEND_REQ_FAILED(5),
    /** No (valid) response came back from the server. */
    RECV_RESP_FAILED(6),
    /** The sandbox could not be built: guard, mounts, loop device. */
    BUILD_ROCKER_FAILED(7),
    /** The app's process could not be placed in the rocker (identity, namespaces). */
    ENTER_ROCKER_FAILED(8),
    /** The app's command could not be executed in the rocker. */
    APP_EXEC_FAILED(9),
    /** The name of a guard process could not be read. */
    GET_GUARDNAME_FAILED(10);

    private final int code;

    RockerError(int code) {
        this.code = code;
    }

    /** The seed's numeric value of this error. */
    public int code() {
        return code;
    }

    /** The seed's name of this error, e.g. {@code param_invalid}. */
    public String seedName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The error with the given numeric code; {@link #UNKNOWN} for a code the seed does not define. */
    public static RockerError fromCode(int code) {
        for (RockerError e : values()) {
            if (e.code == code) {
                return e;
            }
        }
        return UNKNOWN;
    }
}
