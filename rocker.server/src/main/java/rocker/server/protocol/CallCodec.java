package rocker.server.protocol;

import java.nio.ByteBuffer;

/** Turns a {@link Call} into a request frame body and back. */
public final class CallCodec {
    private CallCodec() {
    }

    /** The frame type of {@code call}. */
    public static byte type(Call call) {
        if (call instanceof Call.Enter) return Protocol.ENTER;
        if (call instanceof Call.GuardName) return Protocol.GUARD_NAME;
        if (call instanceof Call.Destroy) return Protocol.DESTROY;
        if (call instanceof Call.DestroyPid) return Protocol.DESTROY_PID;
        if (call instanceof Call.ListRockers) return Protocol.LIST;
        return Protocol.WAIT;
    }

    /** The body of the request frame for {@code call}, protocol version first. */
    public static ByteBuffer encode(Call call) {
        WireWriter w = new WireWriter().u16(Protocol.VERSION);
        if (call instanceof Call.Enter) {
            Call.Enter e = (Call.Enter) call;
            RequestCodec.write(w, e.request());
            e.app().write(w);
        } else if (call instanceof Call.GuardName) {
            w.i32(((Call.GuardName) call).pid());
        } else if (call instanceof Call.Destroy) {
            w.str(((Call.Destroy) call).guardName());
        } else if (call instanceof Call.DestroyPid) {
            Call.DestroyPid d = (Call.DestroyPid) call;
            w.i32(d.guardPid()).str(d.expectedName());
        } else if (call instanceof Call.Wait) {
            Call.Wait wt = (Call.Wait) call;
            w.str(wt.guardName()).i64(wt.timeoutMillis());
        }
        return w.toBuffer();
    }

    /** Decodes a request frame; every structural problem is a {@link ProtocolException}. */
    public static Call decode(Frame frame) throws ProtocolException {
        WireReader r = new WireReader(frame.body());
        int version = r.u16("version");
        if (version != Protocol.VERSION) {
            throw new UnsupportedVersionException(version);
        }
        Call call;
        switch (frame.type()) {
            case Protocol.ENTER:
                call = new Call.Enter(RequestCodec.read(r), AppSpec.read(r));
                break;
            case Protocol.GUARD_NAME:
                call = new Call.GuardName(r.i32("pid"));
                break;
            case Protocol.DESTROY:
                call = new Call.Destroy(r.str("guard_name"));
                break;
            case Protocol.DESTROY_PID:
                call = new Call.DestroyPid(r.i32("guard_pid"), r.str("guard_name"));
                break;
            case Protocol.LIST:
                call = new Call.ListRockers();
                break;
            case Protocol.WAIT:
                call = new Call.Wait(r.str("guard_name"), r.i64("timeout_ms"));
                if (((Call.Wait) call).timeoutMillis() < 0) {
                    throw new ProtocolException("timeout_ms: must not be negative");
                }
                break;
            default:
                throw new ProtocolException(String.format("unknown request type 0x%02x", frame.type() & 0xff));
        }
        r.end();
        return call;
    }
}
