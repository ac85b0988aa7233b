package rocker.server.internal;

import java.util.List;
import java.util.Optional;
import java.util.Set;

import rocker.api.RockerCaller;
import rocker.api.RockerInfo;
import rocker.api.RockerRequest;
import rocker.api.UserLimits;
import rocker.client.protocol.AppSpec;

/**
 * Decides what a {@link Peer} may do, from its kernel credentials only. Root and the configured trusted
 * uids may do anything; any other peer may only make rockers for its own uid and gid, with no
 * supplementary groups and Rocker's default system call filter, at most
 * {@link RockerRequest#DEFAULT_PIDS_LIMIT} processes and bounded logs, and only see, wait for, destroy
 * and ask the figures of its own rockers. The paths of its request
 * are not checked here (a check by path would only hold until the client swaps it): the engine opens
 * them with the peer's credentials, as {@link #caller(Peer)} tells it (docs/security.md).
 */
final class Authorizer {
    private final Set<Integer> trustedUids;

    Authorizer(Set<Integer> trustedUids) {
        this.trustedUids = Set.copyOf(trustedUids);
    }

    /** On whose behalf the engine builds the peer's rocker: its own credentials for privileged peers. */
    RockerCaller caller(Peer peer) {
        return privileged(peer) ? RockerCaller.engine() : RockerCaller.user(peer.uid(), peer.gid(), List.of(), peer.pid());
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
        // the rest of what a user may not ask for: the engine applies the same policy
        Optional<String> limits = UserLimits.refusal(request);
        if (limits.isPresent()) {
            return limits;
        }
        return Optional.empty();
    }

    /** Whether {@code peer} may see, wait for, destroy and ask the figures of this rocker. */
    boolean owns(Peer peer, RockerInfo info) {
        return privileged(peer) || info.request().uid() == peer.uid();
    }
}
