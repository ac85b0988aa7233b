package rocker.server.roundtrip;

import rocker.api.RockerApp;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.client.RemoteRockerClient;

/**
 * Run as an unprivileged user by {@link NonRootClientTest}: asks the server at args[0] for a rocker of
 * uid/gid args[1]/args[2] with package args[3], data dir args[4] and, when given, seccomp args[5], and
 * prints the result's error name and message on one line.
 */
public final class NonRootClientMain {
    private NonRootClientMain() {
    }

    public static void main(String[] args) {
        RockerRequest req = RockerRequest.builder().appId(7).uid(Integer.parseInt(args[1])).gid(Integer.parseInt(args[2]))
                .pkgPath(args[3]).execDir("/opt/app").dataDir(args[4]).overlayDirs(RockerRequest.SEED_OVERLAY_DIRS)
                .seccomp(args.length > 5 ? args[5] : null).build();
        try (RemoteRockerClient client = new RemoteRockerClient(args[0])) {
            RockerResult r = client.enterRocker(req, RockerApp.of("/bin/true"));
            System.out.println("RESULT " + r.error().seedName() + " " + r.message());
            System.out.println("LIST " + client.list().size());
        }
    }
}
