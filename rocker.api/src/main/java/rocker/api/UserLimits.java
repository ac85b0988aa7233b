package rocker.api;

import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * What a client that is not root (nor trusted) may ask for, beyond its own uid and gid: the policy the
 * server and the engine both apply (docs/security.md). Everything that would weaken the sandbox or let
 * one user take the host's resources from others is for root clients only.
 *
 * @since 1.1
 */
@ProviderType
public final class UserLimits {
    /** The largest bound of each log file a user may ask for. */
    public static final long MAX_LOG_LIMIT = 100L * 1024 * 1024;
    /** The largest CPU weight a user may ask for: the default, so no user outweighs another. */
    public static final int MAX_CPU_WEIGHT = 100;

    private UserLimits() {
    }

    /**
     * Why the user {@code uid}/{@code gid} may not ask for {@code r} ("field 'value': reason"), or empty
     * when it may: only for its own uid and gid, with no supplementary groups, then {@link #refusal(RockerRequest)}.
     *
     * @since 1.2
     */
    public static Optional<String> refusal(RockerRequest r, int uid, int gid) {
        if (r.uid() != uid) {
            return Optional.of("uid " + r.uid() + ": a client of uid " + uid + " may only ask for its own uid");
        }
        if (r.gid() != gid) {
            return Optional.of("gid " + r.gid() + ": a client of gid " + gid + " may only ask for its own gid");
        }
        if (!r.groups().isEmpty()) {
            return Optional.of("groups " + r.groups() + ": supplementary groups need a privileged client");
        }
        return refusal(r);
    }

    /** Why a user may not ask for {@code r} ("field 'value': reason"), or empty when it may. */
    public static Optional<String> refusal(RockerRequest r) {
        if (r.seccomp() != null) {
            // "unconfined" lifts the filter, and a profile file could allow what the default denies
            return Optional.of("seccomp '" + r.seccomp() + "': only root clients may change the system call filter");
        }
        if (r.pidsLimit() == 0 || r.pidsLimit() > RockerRequest.DEFAULT_PIDS_LIMIT) {
            // a user's fork bomb would otherwise reach the host's pid_max
            return Optional.of("pids '" + r.pidsLimit() + "': only root clients may lift the process limit");
        }
        if (r.logLimit() == 0 || r.logLimit() > MAX_LOG_LIMIT) {
            // the guard writes the logs: bounds above this would let a user's app fill the data dir's file system
            return Optional.of("log_limit '" + r.logLimit() + "': only root clients may keep logs unbounded or above "
                    + MAX_LOG_LIMIT + " bytes");
        }
        if (r.cpuWeight() > MAX_CPU_WEIGHT) {
            // like a negative nice value, which needs CAP_SYS_NICE
            return Optional.of("cpu_weight '" + r.cpuWeight() + "': only root clients may weigh above " + MAX_CPU_WEIGHT);
        }
        return Optional.empty();
    }
}
