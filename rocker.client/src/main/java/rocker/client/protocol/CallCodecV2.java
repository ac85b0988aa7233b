package rocker.client.protocol;

import java.nio.ByteBuffer;

/** Version-2 request bodies after the version: one field list per request type. */
final class CallCodecV2 {
    static final Field REQUEST = Field.nested(1, "request");
    static final Field APP = Field.nested(2, "app");
    static final Field PID = Field.i32(1, "pid");
    static final Field GUARD_NAME = Field.str(1, "guard_name");
    static final Field GUARD_PID = Field.i32(1, "guard_pid");
    static final Field EXPECTED_NAME = Field.str(2, "guard_name");
    static final Field TIMEOUT_MS = Field.i64(2, "timeout_ms");
    static final Field APP_PID = Field.i32(1, "app_pid");

    private CallCodecV2() {
    }

    static FieldWriter write(Call call) {
        FieldWriter w = new FieldWriter();
        if (call instanceof Call.Enter) {
            Call.Enter e = (Call.Enter) call;
            w.nested(REQUEST, RequestCodecV2.write(e.request())).nested(APP, AppCodecV2.write(e.app()));
        } else if (call instanceof Call.GuardName) {
            w.i32(PID, ((Call.GuardName) call).pid());
        } else if (call instanceof Call.Destroy) {
            w.str(GUARD_NAME, ((Call.Destroy) call).guardName());
        } else if (call instanceof Call.DestroyPid) {
            Call.DestroyPid d = (Call.DestroyPid) call;
            w.i32(GUARD_PID, d.guardPid()).str(EXPECTED_NAME, d.expectedName());
        } else if (call instanceof Call.Wait) {
            Call.Wait wt = (Call.Wait) call;
            w.str(GUARD_NAME, wt.guardName()).i64(TIMEOUT_MS, wt.timeoutMillis());
        } else if (call instanceof Call.Stats) {
            w.str(GUARD_NAME, ((Call.Stats) call).guardName());
        } else if (call instanceof Call.Prepare) {
            w.nested(REQUEST, RequestCodecV2.write(((Call.Prepare) call).request()));
        } else if (call instanceof Call.Started) {
            w.i32(APP_PID, ((Call.Started) call).appPid());
        } else if (call instanceof Call.Watch) {
            w.str(GUARD_NAME, ((Call.Watch) call).guardName());
        }
        return w;
    }

    /**
     * Reads the field list of a request of a known {@code type}. The guard name of DESTROY, DESTROY_PID,
     * WAIT and STATS is required; other absent fields are 0.
     */
    static Call read(byte type, ByteBuffer fields) throws ProtocolException {
        String where = Protocol.requestName(type);
        switch (type) {
            case Protocol.ENTER: {
                FieldReader r = FieldReader.of(fields, where, REQUEST, APP);
                return new Call.Enter(RequestCodecV2.read(r, REQUEST), AppCodecV2.read(r, APP));
            }
            case Protocol.GUARD_NAME:
                return new Call.GuardName(FieldReader.of(fields, where, PID).i32(PID, 0));
            case Protocol.DESTROY:
                return new Call.Destroy(FieldReader.of(fields, where, GUARD_NAME).require(GUARD_NAME).str(GUARD_NAME));
            case Protocol.DESTROY_PID: {
                FieldReader r = FieldReader.of(fields, where, GUARD_PID, EXPECTED_NAME).require(EXPECTED_NAME);
                return new Call.DestroyPid(r.i32(GUARD_PID, 0), r.str(EXPECTED_NAME));
            }
            case Protocol.LIST:
                FieldReader.of(fields, where);
                return new Call.ListRockers();
            case Protocol.STATS:
                return new Call.Stats(FieldReader.of(fields, where, GUARD_NAME).require(GUARD_NAME).str(GUARD_NAME));
            case Protocol.PREPARE:
                return new Call.Prepare(RequestCodecV2.read(FieldReader.of(fields, where, REQUEST).require(REQUEST), REQUEST));
            case Protocol.STARTED:
                return new Call.Started(FieldReader.of(fields, where, APP_PID).require(APP_PID).i32(APP_PID, 0));
            case Protocol.WATCH:
                return new Call.Watch(FieldReader.of(fields, where, GUARD_NAME).require(GUARD_NAME).str(GUARD_NAME));
            default: {
                FieldReader r = FieldReader.of(fields, where, GUARD_NAME, TIMEOUT_MS).require(GUARD_NAME);
                return new Call.Wait(r.str(GUARD_NAME), r.i64(TIMEOUT_MS, 0));
            }
        }
    }
}
