package rocker.server.roundtrip;

import rocker.api.RockerApp;
import rocker.api.RockerException;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.client.RemoteRockerClient;

/**
 * Run as an unprivileged user by {@link NonRootClientTest}: asks the server at args[0] for rockers of
 * uid/gid args[1]/args[2] (package args[3], data dir args[4]) with pids 0, pids 2000, log_limit 0 and
 * pids 100, then for the figures of each rocker named in args[5..]; prints one line per answer.
 */
public final class NonRootLimitsMain {
    private NonRootLimitsMain() {
    }

    public static void main(String[] args) {
        RockerRequest req = RockerRequest.builder().appId(7).uid(Integer.parseInt(args[1])).gid(Integer.parseInt(args[2]))
                .pkgPath(args[3]).execDir("/opt/app").dataDir(args[4]).overlayDirs(RockerRequest.SEED_OVERLAY_DIRS).build();
        try (RemoteRockerClient client = new RemoteRockerClient(args[0])) {
            for (RockerRequest r : new RockerRequest[] {req.toBuilder().pidsLimit(0).build(), req.toBuilder().pidsLimit(2000).build(),
                req.toBuilder().logLimit(0).build(), req.toBuilder().pidsLimit(100).build()}) {
                RockerResult result = client.enterRocker(r, RockerApp.of("/bin/true"));
                System.out.println("RESULT " + result.error().seedName() + " " + result.message());
            }
            for (int i = 5; i < args.length; i++) {
                try {
                    System.out.println("STATS " + args[i] + " " + client.stats(args[i]));
                } catch (RockerException e) {
                    System.out.println("STATS " + args[i] + " " + e.error().seedName() + " " + e.getMessage());
                }
            }
        }
    }
}
