package rocker.server.internal;

import java.util.Optional;
import java.util.Set;

import rocker.api.RockerInfo;
import rocker.api.RockerRequest;
import rocker.server.protocol.AppSpec;
import rocker.server.protocol.StdioSpec;

/**
 * Decides what a {@link Peer} may do, from its kernel credentials only. Root and the configured trusted
 * uids may do anything; any other peer may only make rockers for its own uid and gid, with no
 * supplementary groups and no stdio to host files, and only see, wait for and destroy its own rockers.
 */
final class Authorizer {
    private final Set<Integer> trustedUids;
    private final PeerPathCheck pathCheck;

    /** {@code pathCheck} may be null to skip the package and data dir checks. */
    Authorizer(Set<Integer> trustedUids, PeerPathCheck pathCheck) {
        this.trustedUids = Set.copyOf(trustedUids);
        this.pathCheck = pathCheck;
    }

    boolean privileged(Peer peer) {
        return peer.uid() == 0 || trustedUids.contains(peer.uid());
    }

    /** Why {@code peer} may not make this rocker, or empty when it may. */
    Optional<String> enterRefusal(Peer peer, RockerRequest request, AppSpec app) {
        if (privileged(peer)) {
            return Optional.empty();
        }
        if (request.uid() != peer.uid()) {
            return Optional.of("uid " + request.uid() + ": a client of uid " + peer.uid() + " may only ask for its own uid");
        }
        if (request.gid() != peer.gid()) {
            return Optional.of("gid " + request.gid() + ": a client of gid " + peer.gid() + " may only ask for its own gid");
        }
        if (!request.groups().isEmpty()) {
            return Optional.of("groups " + request.groups() + ": supplementary groups need a privileged client");
        }
        for (StdioSpec s : new StdioSpec[] {app.stdin(), app.stdout(), app.stderr()}) {
            if (s.kind() == StdioSpec.Kind.FILE) {
                return Optional.of("stdio file '" + s.path() + "': host files need a privileged client (use the log or a stream)");
            }
        }
        if (pathCheck != null) {
            Optional<String> why = pathCheck.packageRefusal(peer, request.pkgPath());
            return why.isPresent() ? why : pathCheck.dataDirRefusal(peer, request.dataDir());
        }
        return Optional.empty();
    }

    /** Whether {@code peer} may see, wait for and destroy this rocker. */
    boolean owns(Peer peer, RockerInfo info) {
        return privileged(peer) || info.request().uid() == peer.uid();
    }
}
