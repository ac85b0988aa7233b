package rocker.server.protocol;

/**
 * Constants of the Rocker wire protocol (docs/protocol.md): version, frame types and limits.
 *
 * <p>A frame is a 4-byte big-endian length {@code N} (1 &le; N &le; limit) followed by {@code N}
 * bytes: one type byte and the body. A connection carries exactly one request frame from the client,
 * then one or more response frames from the server.
 */
public final class Protocol {
    /** The protocol version every request carries (u16 after the type byte). */
    public static final int VERSION = 1;

    /** Size of the length prefix. */
    public static final int LENGTH_BYTES = 4;

    // Requests (client to server)
    public static final byte ENTER = 0x01;
    public static final byte GUARD_NAME = 0x02;
    public static final byte DESTROY = 0x03;
    public static final byte DESTROY_PID = 0x04;
    public static final byte LIST = 0x05;
    public static final byte WAIT = 0x06;

    // Responses (server to client)
    public static final byte RESULT = (byte) 0x81;
    public static final byte INFOS = (byte) 0x82;
    public static final byte STDOUT = (byte) 0x83;
    public static final byte STDERR = (byte) 0x84;
    public static final byte EXIT = (byte) 0x85;

    /** Default bound on a request frame (server side, configurable). */
    public static final int DEFAULT_MAX_REQUEST_BYTES = 512 * 1024;
    /** Bound on any response frame the client accepts. */
    public static final int MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
    /** Largest output chunk in one STDOUT/STDERR frame. */
    public static final int MAX_CHUNK_BYTES = 32 * 1024;

    private Protocol() {
    }
}
