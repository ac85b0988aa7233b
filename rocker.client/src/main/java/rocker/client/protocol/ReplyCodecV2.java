package rocker.client.protocol;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

import rocker.api.PreparedRocker;
import rocker.api.RockerError;
import rocker.api.RockerInfo;
import rocker.api.RockerResult;
import rocker.api.RockerStats;

/** Version-2 bodies of RESULT, INFOS and EXIT: field lists. RESULT's err_no and an info's guard_name are required. */
final class ReplyCodecV2 {
    static final Field ERR_NO = Field.i32(1, "err_no");
    static final Field APP_PID = Field.i32(2, "app_pid");
    static final Field GUARD_PID = Field.i32(3, "guard_pid");
    static final Field GUARD_NAME = Field.str(4, "guard_name");
    static final Field MESSAGE = Field.str(5, "message");
    /** Optional: the errno of a refusal, where the C library promises one (PREPARE's EPERM). */
    static final Field ERRNO = Field.i32(Field.OPTIONAL | 6, "errno");
    /** Optional, PREPARE's RESULT: the app's filter (BPF, 8 bytes an instruction, big-endian); absent: none. */
    static final Field SECCOMP_FILTER = Field.bytes(Field.OPTIONAL | 7, "seccomp_filter");
    /** Optional, repeated, PREPARE's RESULT: the host paths of the rocker's cgroup.procs files. */
    static final Field CGROUP_PROCS = Field.str(Field.OPTIONAL | 8, "cgroup_procs").repeating();

    static final Field INFO = Field.nested(1, "info").repeating();
    static final Field INFO_GUARD_NAME = Field.str(1, "guard_name");
    static final Field INFO_GUARD_PID = Field.i32(2, "guard_pid");
    static final Field INFO_APP_PID = Field.i32(3, "app_pid");
    static final Field CREATED_EPOCH_SECONDS = Field.i64(4, "created_epoch_seconds");
    static final Field CREATED_NANOS = Field.i32(5, "created_nanos");
    static final Field INFO_REQUEST = Field.nested(6, "request");
    /** Optional: what the rocker uses, when known; an older client skips it. */
    static final Field INFO_STATS = Field.nested(Field.OPTIONAL | 7, "stats");
    /** Optional (API 1.2): the identity of the rocker's image, when known; an older client skips it. */
    static final Field INFO_IMAGE = Field.str(Field.OPTIONAL | 8, "image");

    /** The figures of {@code stats} (in INFO) and of the STATS reply; an absent one is -1 (unknown). */
    static final Field MEMORY = Field.i64(1, "memory");
    static final Field MEMORY_PEAK = Field.i64(2, "memory_peak");
    static final Field PIDS = Field.i64(3, "pids");
    static final Field CPU_NS = Field.i64(4, "cpu_ns");
    static final Field OOM_KILLS = Field.i64(5, "oom_kills");
    private static final Field[] STATS_FIELDS = {MEMORY, MEMORY_PEAK, PIDS, CPU_NS, OOM_KILLS};

    /** EXITED: the watched rocker, then its app's status, or why it cannot be watched. */
    static final Field EXITED_GUARD_NAME = Field.str(1, "guard_name");
    static final Field EXITED_STATUS = Field.i32(2, "status");
    static final Field EXITED_ERR_NO = Field.i32(3, "err_no");
    static final Field EXITED_MESSAGE = Field.str(4, "message");

    static final Field ENDED = Field.bool(1, "ended");
    static final Field STATUS = Field.i32(2, "status");

    private ReplyCodecV2() {
    }

    static ByteBuffer result(RockerResult r) {
        return buffer(new FieldWriter().i32(ERR_NO, r.error().code()).i32(APP_PID, r.appPid())
                .i32(GUARD_PID, r.guardPid()).str(GUARD_NAME, r.guardName()).str(MESSAGE, r.message()));
    }

    /** PREPARE's RESULT: the result, then (when ready) the filter and the cgroups; {@code errno} when not 0. */
    static ByteBuffer prepared(PreparedRocker p, int errno) {
        RockerResult r = p.result();
        FieldWriter w = new FieldWriter().i32(ERR_NO, r.error().code()).i32(APP_PID, r.appPid())
                .i32(GUARD_PID, r.guardPid()).str(GUARD_NAME, r.guardName()).str(MESSAGE, r.message());
        if (errno != 0) w.i32(ERRNO, errno);
        return buffer(w.bytes(SECCOMP_FILTER, p.seccompFilter()).strs(CGROUP_PROCS, p.cgroupProcs()));
    }

    static PreparedRocker prepared(ByteBuffer body) throws ProtocolException {
        FieldReader r = FieldReader.of(body, "RESULT", ERR_NO, APP_PID, GUARD_PID, GUARD_NAME, MESSAGE, ERRNO, SECCOMP_FILTER,
                CGROUP_PROCS).require(ERR_NO);
        RockerResult result = RockerResult.of(RockerError.fromCode(r.i32(ERR_NO, 0)), r.i32(APP_PID, 0), r.i32(GUARD_PID, 0),
                r.str(GUARD_NAME), r.str(MESSAGE));
        if (!result.isSuccess()) return PreparedRocker.failed(result);
        byte[] filter = r.bytes(SECCOMP_FILTER);
        if (filter != null && (filter.length == 0 || filter.length % 8 != 0)) {
            throw new ProtocolException("seccomp_filter: a whole number of 8-byte instructions, not " + filter.length + " bytes");
        }
        return PreparedRocker.ready(result, filter, r.strs(CGROUP_PROCS));
    }

    static int errno(ByteBuffer body) throws ProtocolException {
        return FieldReader.of(body, "RESULT", ERR_NO, APP_PID, GUARD_PID, GUARD_NAME, MESSAGE, ERRNO).i32(ERRNO, 0);
    }

    static RockerResult result(ByteBuffer body) throws ProtocolException {
        FieldReader r = FieldReader.of(body, "RESULT", ERR_NO, APP_PID, GUARD_PID, GUARD_NAME, MESSAGE).require(ERR_NO);
        return RockerResult.of(RockerError.fromCode(r.i32(ERR_NO, 0)), r.i32(APP_PID, 0), r.i32(GUARD_PID, 0),
                r.str(GUARD_NAME), r.str(MESSAGE));
    }

    static ByteBuffer infos(List<RockerInfo> infos) {
        FieldWriter w = new FieldWriter();
        for (RockerInfo i : infos) {
            FieldWriter info = new FieldWriter().str(INFO_GUARD_NAME, i.guardName()).i32(INFO_GUARD_PID, i.guardPid())
                    .i32(INFO_APP_PID, i.appPid()).i64(CREATED_EPOCH_SECONDS, i.created().getEpochSecond())
                    .i32(CREATED_NANOS, i.created().getNano()).nested(INFO_REQUEST, RequestCodecV2.write(i.request()));
            if (i.stats() != null) {
                info.nested(INFO_STATS, stats(i.stats()));
            }
            info.str(INFO_IMAGE, i.image());
            w.nested(INFO, info);
        }
        return buffer(w);
    }

    static List<RockerInfo> infos(ByteBuffer body) throws ProtocolException {
        List<FieldReader> entries = FieldReader.of(body, "INFOS", INFO).nestedAll(INFO, INFO_GUARD_NAME,
                INFO_GUARD_PID, INFO_APP_PID, CREATED_EPOCH_SECONDS, CREATED_NANOS, INFO_REQUEST, INFO_STATS, INFO_IMAGE);
        List<RockerInfo> list = new ArrayList<>(entries.size());
        for (FieldReader r : entries) {
            r.require(INFO_GUARD_NAME);
            list.add(new RockerInfo(r.str(INFO_GUARD_NAME), r.i32(INFO_GUARD_PID, 0), r.i32(INFO_APP_PID, 0),
                    ReplyCodec.instant(r.i64(CREATED_EPOCH_SECONDS, 0), r.i32(CREATED_NANOS, 0), r.label(CREATED_NANOS)),
                    RequestCodecV2.read(r, INFO_REQUEST), r.has(INFO_STATS) ? stats(r.nested(INFO_STATS, STATS_FIELDS)) : null,
                    r.str(INFO_IMAGE)));
        }
        return list;
    }

    /** The body of a STATS reply. */
    static ByteBuffer statsReply(RockerStats s) {
        return buffer(stats(s));
    }

    static RockerStats statsReply(ByteBuffer body) throws ProtocolException {
        return stats(FieldReader.of(body, "STATS", STATS_FIELDS));
    }

    /** Every figure is written, -1 (unknown) too. */
    private static FieldWriter stats(RockerStats s) {
        return new FieldWriter().i64(MEMORY, s.memoryBytes()).i64(MEMORY_PEAK, s.memoryPeakBytes()).i64(PIDS, s.pids())
                .i64(CPU_NS, s.cpuNanos()).i64(OOM_KILLS, s.oomKills());
    }

    private static RockerStats stats(FieldReader r) {
        return new RockerStats(r.i64(MEMORY, -1), r.i64(MEMORY_PEAK, -1), r.i64(PIDS, -1), r.i64(CPU_NS, -1), r.i64(OOM_KILLS, -1));
    }

    static ByteBuffer exited(AppExit x) {
        FieldWriter w = new FieldWriter().str(EXITED_GUARD_NAME, x.guardName());
        if (x.ended()) {
            w.i32(EXITED_STATUS, x.status());
        } else {
            w.i32(EXITED_ERR_NO, x.error().code()).str(EXITED_MESSAGE, x.message());
        }
        return buffer(w);
    }

    static AppExit exited(ByteBuffer body) throws ProtocolException {
        FieldReader r = FieldReader.of(body, "EXITED", EXITED_GUARD_NAME, EXITED_STATUS, EXITED_ERR_NO, EXITED_MESSAGE)
                .require(EXITED_GUARD_NAME);
        if (r.has(EXITED_STATUS) == r.has(EXITED_ERR_NO)) {
            throw new ProtocolException("EXITED: either status or err_no, not " + (r.has(EXITED_STATUS) ? "both" : "neither"));
        }
        String name = r.str(EXITED_GUARD_NAME);
        if (r.has(EXITED_STATUS)) return AppExit.ended(name, r.i32(EXITED_STATUS, 0));
        RockerError e = RockerError.fromCode(r.i32(EXITED_ERR_NO, 0));
        if (e == RockerError.SUCCESS) throw new ProtocolException("EXITED.err_no: 0 is not an error");
        return AppExit.failed(name, e, r.str(EXITED_MESSAGE));
    }

    static ByteBuffer exit(OptionalInt status) {
        return buffer(new FieldWriter().bool(ENDED, status.isPresent()).i32(STATUS, status.orElse(0)));
    }

    static OptionalInt exit(ByteBuffer body) throws ProtocolException {
        FieldReader r = FieldReader.of(body, "EXIT", ENDED, STATUS);
        return r.bool(ENDED, false) ? OptionalInt.of(r.i32(STATUS, 0)) : OptionalInt.empty();
    }

    private static ByteBuffer buffer(FieldWriter w) {
        return ByteBuffer.wrap(w.toByteArray());
    }
}
