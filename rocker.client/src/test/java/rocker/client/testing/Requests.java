package rocker.client.testing;

import rocker.api.RockerRequest;

/** Valid requests for tests. */
public final class Requests {
    private Requests() {
    }

    public static RockerRequest.Builder valid(int uid, int gid) {
        return RockerRequest.builder().appId(1000).uid(uid).gid(gid)
                .pkgPath("/tmp/app.squashfs").execDir("/opt/app").dataDir("/var/lib/rocker/app")
                .overlayDirs(RockerRequest.SEED_OVERLAY_DIRS);
    }
}
