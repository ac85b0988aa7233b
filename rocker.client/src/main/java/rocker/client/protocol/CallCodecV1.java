package rocker.client.protocol;

/** Version-1 request bodies after the version: fixed fields in a fixed order. */
final class CallCodecV1 {
    private CallCodecV1() {
    }

    static void write(WireWriter w, Call call) {
        if (call instanceof Call.Enter) {
            Call.Enter e = (Call.Enter) call;
            RequestCodecV1.write(w, e.request());
            AppCodecV1.write(w, e.app());
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
    }

    /** Reads the body of a request of a known {@code type}; {@code r} is past the version. */
    static Call read(byte type, WireReader r) throws ProtocolException {
        Call call;
        switch (type) {
            case Protocol.ENTER:
                call = new Call.Enter(RequestCodecV1.read(r), AppCodecV1.read(r));
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
            case Protocol.STATS:
            case Protocol.PREPARE:
            case Protocol.STARTED:
            case Protocol.WATCH:
                throw new ProtocolException(Protocol.requestName(type) + ": protocol version 1 cannot carry this request (send it in version 2)");
            default:
                call = new Call.Wait(r.str("guard_name"), r.i64("timeout_ms"));
                break;
        }
        r.end();
        return call;
    }
}
