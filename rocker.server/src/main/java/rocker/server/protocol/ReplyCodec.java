package rocker.server.protocol;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

import rocker.api.RockerError;
import rocker.api.RockerInfo;
import rocker.api.RockerResult;

/** Bodies of the server's response frames: RESULT, INFOS and EXIT. */
public final class ReplyCodec {
    private ReplyCodec() {
    }

    public static ByteBuffer result(RockerResult r) {
        return new WireWriter().i32(r.error().code()).i32(r.appPid()).i32(r.guardPid())
                .str(r.guardName()).str(r.message()).toBuffer();
    }

    public static RockerResult result(Frame f) throws ProtocolException {
        expect(f, Protocol.RESULT);
        WireReader r = new WireReader(f.body());
        RockerResult result = RockerResult.of(RockerError.fromCode(r.i32("err_no")), r.i32("app_pid"),
                r.i32("guard_pid"), r.str("guard_name"), r.str("message"));
        r.end();
        return result;
    }

    public static ByteBuffer infos(List<RockerInfo> infos) {
        WireWriter w = new WireWriter().i32(infos.size());
        for (RockerInfo i : infos) {
            w.str(i.guardName()).i32(i.guardPid()).i32(i.appPid());
            w.i64(i.created().getEpochSecond()).i32(i.created().getNano());
            RequestCodec.write(w, i.request());
        }
        return w.toBuffer();
    }

    public static List<RockerInfo> infos(Frame f) throws ProtocolException {
        expect(f, Protocol.INFOS);
        WireReader r = new WireReader(f.body());
        int n = r.count("infos", 16);
        List<RockerInfo> list = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            String name = r.str("guard_name");
            int guardPid = r.i32("guard_pid");
            int appPid = r.i32("app_pid");
            long seconds = r.i64("created.seconds");
            int nanos = r.i32("created.nanos");
            if (nanos < 0 || nanos > 999_999_999) {
                throw new ProtocolException("created.nanos: out of range");
            }
            list.add(new RockerInfo(name, guardPid, appPid, Instant.ofEpochSecond(seconds, nanos), RequestCodec.read(r)));
        }
        r.end();
        return list;
    }

    /** EXIT: whether the app ended, then its status. */
    public static ByteBuffer exit(OptionalInt status) {
        return new WireWriter().bool(status.isPresent()).i32(status.orElse(0)).toBuffer();
    }

    public static OptionalInt exit(Frame f) throws ProtocolException {
        expect(f, Protocol.EXIT);
        WireReader r = new WireReader(f.body());
        boolean ended = r.bool("ended");
        int status = r.i32("status");
        r.end();
        return ended ? OptionalInt.of(status) : OptionalInt.empty();
    }

    private static void expect(Frame f, byte type) throws ProtocolException {
        if (f.type() == Protocol.RESULT && type != Protocol.RESULT) {
            throw new ErrorReplyException(result(f));
        }
        if (f.type() != type) {
            throw new ProtocolException(String.format("expected frame type 0x%02x, got 0x%02x", type & 0xff, f.type() & 0xff));
        }
    }
}
