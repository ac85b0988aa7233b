package rocker.api;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.OptionalInt;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The Rocker service: builds rockers and runs apps in them. The same interface is offered by the
 * in-process engine ({@code rocker.impl.linux}, needs root) and by the remote client of
 * {@code rocker.client}, which talks to a privileged server ({@code rocker.server}) over a Unix socket.
 *
 * <p>Every operation returns a {@link RockerResult} (or a value) for expected failures and never
 * throws for them; see {@link RockerResult#orThrow()}.
 */
@ProviderType
public interface RockerClient {

    /**
     * Builds a new rocker for {@code request} and starts {@code app} in it: the seed's
     * {@code ROCKER_enter_rocker}. On success the result carries the app's and the guard's host pids
     * and the guard's name. The rocker lives until it is destroyed (or, with
     * {@link RockerRequest#removeOnExit()}, until the app ends); on any failure nothing is left behind.
     */
    RockerResult enterRocker(RockerRequest request, RockerApp app);

    /**
     * {@link #enterRocker(RockerRequest, RockerApp)} on behalf of {@code caller}: for a
     * {@linkplain RockerCaller#user user} the engine opens the package, FILE stdio and the data dir
     * with the user's credentials and refuses what the user could not open itself ({@code sys},
     * "permission denied: ..." naming the field). Implementations that cannot act for a user (the
     * remote client: the server takes the caller from the socket) answer {@link RockerError#SYS}.
     *
     * @since 1.1
     */
    default RockerResult enterRocker(RockerRequest request, RockerApp app, RockerCaller caller) {
        if (caller == null || caller.isEngine()) {
            return enterRocker(request, app);
        }
        return RockerResult.failure(RockerError.SYS, "this RockerClient cannot act on behalf of " + caller);
    }

    /**
     * The name of process {@code pid}, read from {@code /proc/<pid>/stat}: the seed's
     * {@code ROCKER_get_guardname}. The name is in {@link RockerResult#guardName()};
     * {@link RockerError#GET_GUARDNAME_FAILED} when there is no such process.
     */
    RockerResult getGuardName(int pid);

    /**
     * Destroys the rocker whose guard has this name: its guard is killed (SIGKILL) through a pidfd
     * after checking the name, so a reused pid is never hit; all its processes, mounts and its loop
     * device go with it; its data dir is kept.
     */
    RockerResult destroy(String guardName);

    /** Like {@link #destroy(String)}, for a guard pid that must still carry {@code expectedName}. */
    RockerResult destroy(int guardPid, String expectedName);

    /**
     * What the rocker {@code guardName} uses now (its cgroup's figures); empty when there is no such
     * rocker or this client cannot tell.
     *
     * @since 1.1
     */
    default java.util.Optional<RockerStats> stats(String guardName) {
        return java.util.Optional.empty();
    }

    /**
     * Completes with the exit status of the app of rocker {@code guardName} (as {@link #waitForApp})
     * when it ends, at once if it has; exceptionally with a {@link RockerException} when the rocker is
     * unknown or its app's status cannot be observed (the errors of {@link #waitForApp}). Nothing polls:
     * the local engine completes it when the guard reports, the remote client when the server notifies
     * it on the one connection it keeps for all its subscriptions. A {@link CompletionStage} (not an OSGi
     * Promise), so that the API needs nothing beyond the JDK; {@code toCompletableFuture().get()} blocks.
     * Implementations that cannot notify answer a stage failed with {@link RockerError#SYS}.
     *
     * @since 1.2
     */
    default CompletionStage<Integer> onAppExit(String guardName) {
        return CompletableFuture.failedStage(new RockerException(RockerError.SYS, "this RockerClient cannot notify app exits"));
    }

    /**
     * The rockers that are alive now. Like {@link #waitForApp} it returns a value, not a
     * {@link RockerResult}, and so throws {@link RockerException} when it cannot answer (the remote client:
     * no server, a refused request), where the operations that return a result return the failure.
     */
    List<RockerInfo> list();

    /**
     * The live rocker {@code guardName}, as {@link #list()} has it but maybe without its figures
     * ({@link RockerInfo#stats()} null); empty when there is no such rocker. For the checks of whose a
     * rocker is, which must not cost a read of every rocker's cgroups: the local engine looks the one
     * rocker up. The default filters {@link #list()}.
     *
     * @throws RockerException as {@link #list()}
     * @since 1.3
     */
    default java.util.Optional<RockerInfo> find(String guardName) {
        return list().stream().filter(i -> i.guardName().equals(guardName)).findFirst();
    }

    /**
     * The rockers that are alive now, as {@link #list()} but maybe without their figures
     * ({@link RockerInfo#stats()} null): what counting and ownership checks need, without a read of every
     * rocker's cgroups. The default is {@link #list()}.
     *
     * @throws RockerException as {@link #list()}
     * @since 1.3
     */
    default List<RockerInfo> listWithoutStats() {
        return list();
    }

    /**
     * The live rockers whose app runs as {@code uid}, as {@link #listWithoutStats()} has them: what a
     * per-user quota counts, at the cost of that user's rockers rather than every rocker's (the local
     * engine checks the life of that user's rockers only). The default filters {@link #listWithoutStats()}.
     *
     * @throws RockerException as {@link #list()}
     * @since 1.3
     */
    default List<RockerInfo> listOfUid(int uid) {
        return listWithoutStats().stream().filter(i -> i.request().uid() == uid).collect(java.util.stream.Collectors.toList());
    }

    /**
     * Waits up to {@code timeout} for the app of rocker {@code guardName} to end, and returns its exit
     * status: the exit code, or 128 + the signal number when a signal ended it. Empty when it is still
     * running after the timeout.
     *
     * @throws RockerException when the rocker is unknown or its app's status cannot be observed
     *         (e.g. it was made by an earlier server process)
     */
    OptionalInt waitForApp(String guardName, Duration timeout);
}
