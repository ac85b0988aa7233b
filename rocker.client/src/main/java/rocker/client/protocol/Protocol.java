package rocker.client.protocol;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Constants of the Rocker wire protocol (docs/protocol.md): versions, frame types and limits.
 *
 * <p>A frame is a 4-byte big-endian length {@code N} (1 &le; N &le; limit) followed by {@code N}
 * bytes: one type byte and the body. A connection carries exactly one request frame from the client,
 * then one or more response frames from the server. Every request body starts with its version (u16);
 * the server answers in that version.
 */
@ProviderType
public final class Protocol {
    /** Version 1: fixed fields in a fixed order. */
    public static final int V1 = 1;
    /** Version 2: tagged, extensible field lists. */
    public static final int V2 = 2;
    /** The version clients send unless told otherwise: the newest. */
    public static final int VERSION = V2;

    /** Size of the length prefix. */
    public static final int LENGTH_BYTES = 4;

    // Requests (client to server)
    public static final byte ENTER = 0x01;
    public static final byte GUARD_NAME = 0x02;
    public static final byte DESTROY = 0x03;
    public static final byte DESTROY_PID = 0x04;
    public static final byte LIST = 0x05;
    public static final byte WAIT = 0x06;
    /** Version 2 only: what a rocker uses now. */
    public static final byte STATS = 0x07;
    /** Version 2 only: a rocker without an app, for the C library's ROCKER_enter_rocker (then STARTED on the same connection). */
    public static final byte PREPARE = 0x08;
    /** Version 2 only, after PREPARE's RESULT on its connection: the caller's app runs in the rocker. */
    public static final byte STARTED = 0x09;
    /** Version 2 only: tell me when this rocker's app ends (a watch connection takes any number of them). */
    public static final byte WATCH = 0x0A;

    /** The requests that exist in version 2 only. */
    static final java.util.Set<Byte> V2_ONLY = java.util.Set.of(STATS, PREPARE, STARTED, WATCH);

    // Responses (server to client)
    public static final byte RESULT = (byte) 0x81;
    public static final byte INFOS = (byte) 0x82;
    public static final byte STDOUT = (byte) 0x83;
    public static final byte STDERR = (byte) 0x84;
    public static final byte EXIT = (byte) 0x85;
    /** Version 2 only: the answer to {@link #STATS}. */
    public static final byte STATS_REPLY = (byte) 0x86;
    /** Version 2 only, on a watch connection: the app of a watched rocker ended, or cannot be watched. */
    public static final byte EXITED = (byte) 0x87;

    /** Default bound on a request frame (server side, configurable). */
    public static final int DEFAULT_MAX_REQUEST_BYTES = 512 * 1024;
    /** Bound on any response frame the client accepts. */
    public static final int MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
    /** Largest output chunk in one STDOUT/STDERR frame. */
    public static final int MAX_CHUNK_BYTES = 32 * 1024;

    private Protocol() {
    }

    /** Whether this side speaks {@code version}. */
    public static boolean speaks(int version) {
        return version == V1 || version == V2;
    }

    /**
     * {@code version}, if this side speaks it.
     *
     * @throws IllegalArgumentException otherwise
     */
    public static int checkVersion(int version) {
        if (!speaks(version)) {
            throw new IllegalArgumentException("protocol version " + version + " is not supported");
        }
        return version;
    }

    /** The name of a request type in messages, e.g. {@code ENTER}. */
    static String requestName(byte type) {
        switch (type) {
            case ENTER: return "ENTER";
            case GUARD_NAME: return "GUARD_NAME";
            case DESTROY: return "DESTROY";
            case DESTROY_PID: return "DESTROY_PID";
            case LIST: return "LIST";
            case WAIT: return "WAIT";
            case STATS: return "STATS";
            case PREPARE: return "PREPARE";
            case STARTED: return "STARTED";
            case WATCH: return "WATCH";
            default: return String.format("0x%02x", type & 0xff);
        }
    }
}
