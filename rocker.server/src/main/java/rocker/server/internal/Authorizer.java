package rocker.server.internal;

import java.util.List;
import java.util.Optional;
import java.util.Set;

import rocker.api.RockerCaller;
import rocker.api.RockerInfo;
import rocker.api.RockerRequest;
import rocker.api.UserLimits;

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
    Optional<String> enterRefusal(Peer peer, RockerRequest request) {
        if (privileged(peer)) {
            return Optional.empty();
        }
        // the engine applies the same policy (one code: UserLimits) to the user caller it is given
        return UserLimits.refusal(request, peer.uid(), peer.gid());
    }

    /** Whether {@code peer} may see, wait for, destroy and ask the figures of this rocker. */
    boolean owns(Peer peer, RockerInfo info) {
        return privileged(peer) || info.request().uid() == peer.uid();
    }
}
