package rocker.server.internal;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Supplier;

import rocker.api.RockerApp;
import rocker.api.RockerCaller;
import rocker.api.RockerClient;
import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.api.PreparedRocker;
import rocker.api.RockerInfo;
import rocker.api.RockerPreparer;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.api.RockerStats;

/**
 * The local engine as it is now: the server keeps listening while the engine bundle is updated or
 * reconfigured, and answers {@code sys} in the moment there is none.
 */
final class CurrentEngine implements RockerClient, RockerPreparer {
    private static final String NONE = "no local engine (rocker.transport=local) is active at the moment";
    private final Supplier<RockerClient> current;

    CurrentEngine(Supplier<RockerClient> current) {
        this.current = current;
    }

    private RockerClient engine() {
        RockerClient c = current.get();
        if (c == null) {
            throw new RockerException(RockerError.SYS, NONE);
        }
        return c;
    }

    @Override
    public RockerResult enterRocker(RockerRequest request, RockerApp app) {
        RockerClient c = current.get();
        return c == null ? RockerResult.failure(RockerError.SYS, NONE) : c.enterRocker(request, app);
    }

    @Override
    public RockerResult enterRocker(RockerRequest request, RockerApp app, RockerCaller caller) {
        RockerClient c = current.get();
        return c == null ? RockerResult.failure(RockerError.SYS, NONE) : c.enterRocker(request, app, caller);
    }

    @Override
    public RockerResult getGuardName(int pid) {
        RockerClient c = current.get();
        return c == null ? RockerResult.failure(RockerError.SYS, NONE) : c.getGuardName(pid);
    }

    @Override
    public RockerResult destroy(String guardName) {
        RockerClient c = current.get();
        return c == null ? RockerResult.failure(RockerError.SYS, NONE) : c.destroy(guardName);
    }

    @Override
    public RockerResult destroy(int guardPid, String expectedName) {
        RockerClient c = current.get();
        return c == null ? RockerResult.failure(RockerError.SYS, NONE) : c.destroy(guardPid, expectedName);
    }

    /** Empty when there is no engine at the moment: nothing can tell the figures then. */
    @Override
    public Optional<RockerStats> stats(String guardName) {
        RockerClient c = current.get();
        return c == null ? Optional.empty() : c.stats(guardName);
    }

    /** The engine's, when it builds rockers to be entered (the local engine does; see {@link RockerPreparer}). */
    @Override
    public PreparedRocker prepare(RockerRequest request, RockerCaller caller) {
        RockerClient c = current.get();
        if (c instanceof RockerPreparer) return ((RockerPreparer) c).prepare(request, caller);
        return PreparedRocker.failed(RockerResult.failure(RockerError.SYS, c == null ? NONE
                : "the local engine cannot build rockers to be entered (it is older than API 1.2)"));
    }

    @Override
    public RockerResult started(String guardName, int appPid) {
        RockerClient c = current.get();
        return c instanceof RockerPreparer ? ((RockerPreparer) c).started(guardName, appPid) : RockerResult.failure(RockerError.SYS, NONE);
    }

    @Override
    public RockerResult abandon(String guardName) {
        RockerClient c = current.get();
        return c instanceof RockerPreparer ? ((RockerPreparer) c).abandon(guardName) : RockerResult.failure(RockerError.SYS, NONE);
    }

    @Override
    public java.util.concurrent.CompletionStage<Integer> onAppExit(String guardName) {
        RockerClient c = current.get();
        return c == null ? java.util.concurrent.CompletableFuture.failedStage(new RockerException(RockerError.SYS, NONE))
                : c.onAppExit(guardName);
    }

    @Override
    public List<RockerInfo> list() {
        return engine().list();
    }

    @Override
    public Optional<RockerInfo> find(String guardName) {
        return engine().find(guardName);
    }

    @Override
    public List<RockerInfo> listWithoutStats() {
        return engine().listWithoutStats();
    }

    @Override
    public List<RockerInfo> listOfUid(int uid) {
        return engine().listOfUid(uid);
    }

    @Override
    public OptionalInt waitForApp(String guardName, Duration timeout) {
        return engine().waitForApp(guardName, timeout);
    }
}
