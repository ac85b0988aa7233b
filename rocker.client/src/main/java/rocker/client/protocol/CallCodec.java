package rocker.client.protocol;

import java.nio.ByteBuffer;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Turns a {@link Call} into a request frame body and back, in protocol version 1 or 2 (see
 * {@link CallCodecV1}, {@link CallCodecV2}); the body starts with the version.
 */
@ProviderType
public final class CallCodec {
    /** Why a field of API 1.1 cannot go in version 1, after the field and its value. */
    static final String NOT_IN_V1 = "protocol version 1 cannot carry this field";

    private CallCodec() {
    }

    /**
     * Why {@code call} cannot be encoded in {@code version}, naming the field and its value (e.g.
     * {@code devices '[/dev/ttyUSB0]': protocol version 1 cannot carry this field}), or null when it
     * can. Version 1 has no devices, no shared dirs and no seccomp; an ENTER that has some is never sent
     * without them.
     */
    public static String unfit(Call call, int version) {
        if (version == Protocol.V1 && Protocol.V2_ONLY.contains(type(call))) {
            return Protocol.requestName(type(call)) + ": protocol version 1 cannot carry this request";
        }
        if (version != Protocol.V1 || !(call instanceof Call.Enter)) {
            return null;
        }
        String uncarried = RequestCodecV1.uncarried(((Call.Enter) call).request());
        return uncarried == null ? null : uncarried + ": " + NOT_IN_V1;
    }

    /** The frame type of {@code call}. */
    public static byte type(Call call) {
        if (call instanceof Call.Enter) return Protocol.ENTER;
        if (call instanceof Call.GuardName) return Protocol.GUARD_NAME;
        if (call instanceof Call.Destroy) return Protocol.DESTROY;
        if (call instanceof Call.DestroyPid) return Protocol.DESTROY_PID;
        if (call instanceof Call.ListRockers) return Protocol.LIST;
        if (call instanceof Call.Stats) return Protocol.STATS;
        if (call instanceof Call.Prepare) return Protocol.PREPARE;
        if (call instanceof Call.Started) return Protocol.STARTED;
        if (call instanceof Call.Watch) return Protocol.WATCH;
        return Protocol.WAIT;
    }

    /** The body of the request frame for {@code call} in {@link Protocol#VERSION}, the version clients send. */
    public static ByteBuffer encode(Call call) {
        return encode(call, Protocol.VERSION);
    }

    /**
     * The body of the request frame for {@code call} in {@code version}, the version first.
     *
     * @throws IllegalArgumentException for a version this side does not speak, or a call that version
     *         cannot carry ({@link #unfit})
     */
    public static ByteBuffer encode(Call call, int version) {
        WireWriter w = new WireWriter().u16(Protocol.checkVersion(version));
        if (version == Protocol.V1 && Protocol.V2_ONLY.contains(type(call))) {
            throw new IllegalArgumentException(unfit(call, version));
        }
        if (version == Protocol.V1) {
            CallCodecV1.write(w, call);
        } else {
            byte[] fields = CallCodecV2.write(call).toByteArray();
            w.bytes(fields, 0, fields.length);
        }
        return w.toBuffer();
    }

    /**
     * The protocol version of a request frame.
     *
     * @throws UnsupportedVersionException for a version this side does not speak
     * @throws ProtocolException when the body is too short to hold a version
     */
    public static int version(Frame frame) throws ProtocolException {
        int version = new WireReader(frame.body()).u16("version");
        if (!Protocol.speaks(version)) {
            throw new UnsupportedVersionException(version);
        }
        return version;
    }

    /** Decodes a request frame of any version this side speaks; every structural problem is a {@link ProtocolException}. */
    public static Call decode(Frame frame) throws ProtocolException {
        int version = version(frame);
        byte type = frame.type();
        if (type < Protocol.ENTER || type > Protocol.WATCH) {
            throw new ProtocolException(String.format("unknown request type 0x%02x", type & 0xff));
        }
        ByteBuffer body = frame.body().duplicate();
        body.position(body.position() + 2);
        Call call = version == Protocol.V1 ? CallCodecV1.read(type, new WireReader(body)) : CallCodecV2.read(type, body);
        if (call instanceof Call.Wait && ((Call.Wait) call).timeoutMillis() < 0) {
            throw new ProtocolException("timeout_ms: must not be negative");
        }
        return call;
    }
}
