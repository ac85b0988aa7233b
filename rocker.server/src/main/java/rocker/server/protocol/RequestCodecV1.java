package rocker.server.protocol;

import rocker.api.NetworkMode;
import rocker.api.RockerRequest;

/** The version-1 form of a {@link RockerRequest}; decoding checks structure only, not the values. */
final class RequestCodecV1 {
    private RequestCodecV1() {
    }

    static void write(WireWriter w, RockerRequest r) {
        w.i32(r.appId()).i32(r.uid()).i32(r.gid()).ints(r.groups());
        w.nullableStr(r.pkgPath()).nullableStr(r.execDir()).nullableStr(r.dataDir());
        w.strs(r.overlayDirs()).nullableStr(r.hostname());
        w.bool(r.userNamespace()).u8(r.network().ordinal()).bool(r.removeOnExit());
    }

    static RockerRequest read(WireReader r) throws ProtocolException {
        RockerRequest.Builder b = RockerRequest.builder()
                .appId(r.i32("app_id")).uid(r.i32("uid")).gid(r.i32("gid")).groups(r.ints("groups"))
                .pkgPath(r.nullableStr("app_pkg_path")).execDir(r.nullableStr("app_exec_dir"))
                .dataDir(r.nullableStr("app_data_dir")).overlayDirs(r.strs("app_overlay_dirs"))
                .hostname(r.nullableStr("hostname")).userNamespace(r.bool("userns"));
        int net = r.u8("network");
        if (net >= NetworkMode.values().length) {
            throw new ProtocolException("network: unknown mode " + net);
        }
        return b.network(NetworkMode.values()[net]).removeOnExit(r.bool("remove_on_exit")).build();
    }
}
