package rocker.client.protocol;

import rocker.api.NetworkMode;
import rocker.api.RockerRequest;

/**
 * The version-1 form of a {@link RockerRequest}; decoding checks structure only, not the values.
 * Version 1 is frozen: it has no devices, no shared dirs, no seccomp and no resource limits (API 1.1),
 * so a request that has some, a seccomp other than Rocker's default, or a limit other than the default,
 * cannot be written in it ({@link #uncarried}); a version-1 request asks for the defaults.
 */
final class RequestCodecV1 {
    private RequestCodecV1() {
    }

    /**
     * The first field of {@code r} that version 1 cannot carry, with its value as in validation messages
     * ({@code devices '[/dev/ttyUSB0]'}), or null when version 1 carries the whole request.
     */
    static String uncarried(RockerRequest r) {
        if (!r.devices().isEmpty()) {
            return "devices '" + r.devices() + "'";
        }
        if (!r.sharedDirs().isEmpty()) {
            return "shared_dirs '" + r.sharedDirs() + "'";
        }
        if (r.seccomp() != null) {
            return "seccomp '" + r.seccomp() + "'";
        }
        if (r.memoryLimit() != 0) {
            return "memory '" + r.memoryLimit() + "'";
        }
        if (r.pidsLimit() != RockerRequest.DEFAULT_PIDS_LIMIT) {
            return "pids '" + r.pidsLimit() + "'";
        }
        if (Double.compare(r.cpus(), 0) != 0) {
            return "cpus '" + r.cpus() + "'";
        }
        if (r.cpuWeight() != 0) {
            return "cpu_weight '" + r.cpuWeight() + "'";
        }
        if (r.logLimit() != RockerRequest.DEFAULT_LOG_LIMIT) {
            return "log_limit '" + r.logLimit() + "'";
        }
        return null;
    }

    /** @throws IllegalArgumentException for a request with devices, shared dirs, seccomp or limits: never left out silently */
    static void write(WireWriter w, RockerRequest r) {
        String uncarried = uncarried(r);
        if (uncarried != null) {
            throw new IllegalArgumentException(uncarried + ": " + CallCodec.NOT_IN_V1);
        }
        w.i32(r.appId()).i32(r.uid()).i32(r.gid()).ints(r.groups());
        w.nullableStr(r.pkgPath()).nullableStr(r.execDir()).nullableStr(r.dataDir());
        w.strs(r.overlayDirs()).nullableStr(r.hostname());
        w.bool(r.userNamespace()).u8(code(r.network())).bool(r.removeOnExit());
    }

    static RockerRequest read(WireReader r) throws ProtocolException {
        RockerRequest.Builder b = RockerRequest.builder()
                .appId(r.i32("app_id")).uid(r.i32("uid")).gid(r.i32("gid")).groups(r.ints("groups"))
                .pkgPath(r.nullableStr("app_pkg_path")).execDir(r.nullableStr("app_exec_dir"))
                .dataDir(r.nullableStr("app_data_dir")).overlayDirs(r.strs("app_overlay_dirs"))
                .hostname(r.nullableStr("hostname")).userNamespace(r.bool("userns"));
        int net = r.u8("network");
        NetworkMode mode;
        switch (net) {
            case 0: mode = NetworkMode.HOST; break;
            case 1: mode = NetworkMode.NONE; break;
            default: throw new ProtocolException("network: unknown mode " + net);
        }
        return b.network(mode).removeOnExit(r.bool("remove_on_exit")).build();
    }

    /**
     * The network modes' codes on the v1 wire, fixed (docs/protocol.md): never an enum's ordinal, so that
     * reordering the public {@link NetworkMode} cannot change the wire.
     */
    static int code(NetworkMode mode) {
        switch (mode) {
            case HOST: return 0;
            case NONE: return 1;
            default: throw new IllegalArgumentException("no v1 code for network mode " + mode);
        }
    }
}
