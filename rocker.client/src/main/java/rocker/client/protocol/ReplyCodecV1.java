package rocker.client.protocol;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

import rocker.api.RockerError;
import rocker.api.RockerInfo;
import rocker.api.RockerResult;

/** Version-1 bodies of RESULT, INFOS and EXIT: fixed fields in a fixed order. */
final class ReplyCodecV1 {
    private ReplyCodecV1() {
    }

    static ByteBuffer result(RockerResult r) {
        return new WireWriter().i32(r.error().code()).i32(r.appPid()).i32(r.guardPid())
                .str(r.guardName()).str(r.message()).toBuffer();
    }

    static RockerResult result(ByteBuffer body) throws ProtocolException {
        WireReader r = new WireReader(body);
        RockerResult result = RockerResult.of(RockerError.fromCode(r.i32("err_no")), r.i32("app_pid"),
                r.i32("guard_pid"), r.str("guard_name"), r.str("message"));
        r.end();
        return result;
    }

    static ByteBuffer infos(List<RockerInfo> infos) {
        WireWriter w = new WireWriter().i32(infos.size());
        for (RockerInfo i : infos) {
            w.str(i.guardName()).i32(i.guardPid()).i32(i.appPid());
            w.i64(i.created().getEpochSecond()).i32(i.created().getNano());
            RequestCodecV1.write(w, i.request());
        }
        return w.toBuffer();
    }

    static List<RockerInfo> infos(ByteBuffer body) throws ProtocolException {
        WireReader r = new WireReader(body);
        int n = r.count("infos", 16);
        List<RockerInfo> list = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            String name = r.str("guard_name");
            int guardPid = r.i32("guard_pid");
            int appPid = r.i32("app_pid");
            long seconds = r.i64("created.seconds");
            int nanos = r.i32("created.nanos");
            list.add(new RockerInfo(name, guardPid, appPid, ReplyCodec.instant(seconds, nanos, "created.nanos"),
                    RequestCodecV1.read(r)));
        }
        r.end();
        return list;
    }

    static ByteBuffer exit(OptionalInt status) {
        return new WireWriter().bool(status.isPresent()).i32(status.orElse(0)).toBuffer();
    }

    static OptionalInt exit(ByteBuffer body) throws ProtocolException {
        WireReader r = new WireReader(body);
        boolean ended = r.bool("ended");
        int status = r.i32("status");
        r.end();
        return ended ? OptionalInt.of(status) : OptionalInt.empty();
    }
}
