package rocker.server.internal;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import rocker.api.RockerApp;
import rocker.api.RockerClient;
import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.api.PreparedRocker;
import rocker.api.RockerInfo;
import rocker.api.RockerPreparer;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.client.protocol.AppSpec;
import rocker.client.protocol.Call;
import rocker.client.protocol.CallCodec;
import rocker.client.protocol.ProtocolException;
import rocker.client.protocol.Protocol;
import rocker.client.protocol.ReplyCodec;
import rocker.client.protocol.StdioSpec;

/**
 * Carries out one decoded {@link Call} for a {@link Peer} on the engine: validates it again
 * ({@link RockerRequest#validate()}, {@link RockerApp#validate()}), authorizes it, calls the engine and
 * sends the reply. Every call and its outcome is logged; refusals at WARN.
 */
final class CallDispatcher {
    private static final Logger LOG = LoggerFactory.getLogger(CallDispatcher.class);

    /** Switches a connection from its connection slot to a stream slot; null when done, else why not. */
    interface StreamPermit {
        String acquire();
    }

    /** The refusal of a peer inside a rocker (docs/security.md). */
    static final String FROM_A_ROCKER = "requests from inside a rocker are refused";

    private final RockerClient engine;
    private final Authorizer authorizer;
    private final Duration maxWait;
    private final BooleanSupplier stopping;
    private final StreamWaiters streamWaiters;
    private final RockerQuota quota;
    private final java.util.Set<String> trustedRockers;
    private final Duration requestTimeout;
    private final int maxRequestBytes;

    /** errno of the refusal of a PREPARE from a peer that is not root (docs/protocol.md). */
    static final int EPERM = 1;

    CallDispatcher(RockerClient engine, Authorizer authorizer, ServerSettings settings, BooleanSupplier stopping,
            StreamWaiters streamWaiters) {
        this.engine = engine;
        this.authorizer = authorizer;
        this.maxWait = settings.maxWait();
        this.stopping = stopping;
        this.streamWaiters = streamWaiters;
        this.quota = new RockerQuota(settings.maxRockersPerUid(), settings.maxPidsPerUid());
        this.trustedRockers = settings.trustedRockers();
        this.requestTimeout = settings.requestTimeout();
        this.maxRequestBytes = settings.maxRequestBytes();
    }

    void dispatch(Call call, Peer peer, Responder out, StreamPermit permit) throws IOException, InterruptedException {
        try {
            if (peer.isForeign() && !inTrustedRocker(peer)) {
                refuse(peer, call.getClass().getSimpleName(), FROM_A_ROCKER, out);
                return;
            }
            if (call instanceof Call.Enter) {
                enter((Call.Enter) call, peer, out, permit);
            } else if (call instanceof Call.GuardName) {
                guardName(((Call.GuardName) call).pid(), peer, out);
            } else if (call instanceof Call.Destroy) {
                destroy((Call.Destroy) call, peer, out);
            } else if (call instanceof Call.DestroyPid) {
                destroyPid((Call.DestroyPid) call, peer, out);
            } else if (call instanceof Call.ListRockers) {
                List<RockerInfo> infos = listFor(peer);
                String unfit = ReplyCodec.unfit(infos, out.version());
                if (unfit != null) {
                    // a version-1 INFOS would show the rocker without its devices, shared dirs or seccomp
                    LOG.info("{}: list in version {} -> param_invalid: {}", peer, out.version(), unfit);
                    out.result(RockerResult.failure(RockerError.PARAM_INVALID, unfit));
                    return;
                }
                LOG.info("{}: list -> {} rockers", peer, infos.size());
                out.infos(infos);
            } else if (call instanceof Call.Stats) {
                stats((Call.Stats) call, peer, out);
            } else if (call instanceof Call.Prepare) {
                prepare(((Call.Prepare) call).request(), peer, out);
            } else if (call instanceof Call.Watch) {
                new WatchSession(engine, peer, out, permit, maxRequestBytes, this::ownership, stopping).run((Call.Watch) call);
            } else if (call instanceof Call.Started) {
                out.result(RockerResult.failure(RockerError.PARAM_INVALID, "bad request: STARTED comes only after a PREPARE, on its connection"));
            } else {
                await((Call.Wait) call, peer, out);
            }
        } catch (RuntimeException | LinkageError e) {
            LOG.error("{}: {} failed in the engine", peer, call.getClass().getSimpleName(), e);
            out.result(RockerResult.failure(RockerError.UNKNOWN, "the server failed: " + e));
        }
    }

    private void enter(Call.Enter call, Peer peer, Responder out, StreamPermit permit) throws IOException, InterruptedException {
        RockerRequest request = call.request();
        AppSpec spec = call.app();
        // the app the engine gets, validated once here (the engine's check of these very objects is then free)
        Streams streams = new Streams(out, spec);
        RockerApp app = spec.toApp(streams.stdout, streams.stderr);
        Object what = new EnterWhat(request, spec); // its text is made only when logged, after the answer
        try {
            request.validate();
            app.validate();
        } catch (RockerException e) {
            LOG.info("{}: {} -> {}: {}", peer, what, e.error().seedName(), e.getMessage());
            out.result(e.toResult());
            return;
        }
        Optional<String> refusal = authorizer.enterRefusal(peer, request);
        if (refusal.isPresent()) {
            refuse(peer, what, refusal.get(), out);
            return;
        }
        if (spec.streams()) {
            String busy = permit.acquire();
            if (busy != null) {
                LOG.warn("{}: {} -> refused, no stream slot: {}", peer, what, busy);
                out.result(RockerResult.failure(RockerError.SYS, "server busy: " + busy));
                return;
            }
        }
        if (authorizer.privileged(peer)) {
            build(request, app, streams, peer, out, what, () -> { });
            return;
        }
        String overQuota = quota.tryReserve(peer.uid(), request.pidsLimit(), () -> {
            List<RockerInfo> mine = engine.listOfUid(peer.uid()); // that uid's rockers' life checked, not every one's
            return new RockerQuota.Held(mine.size(), mine.stream().mapToLong(r -> r.request().pidsLimit()).sum());
        });
        if (overQuota != null) {
            LOG.warn("{}: {} -> refused: {}", peer, what, overQuota);
            out.result(RockerResult.failure(RockerError.SYS, overQuota));
            return;
        }
        boolean[] released = {false};
        Runnable release = () -> {
            if (!released[0]) {
                released[0] = true;
                quota.release(peer.uid(), request.pidsLimit()); // once built the rocker is listed, and so counted
            }
        };
        try {
            build(request, app, streams, peer, out, what, release);
        } finally {
            release.run();
        }
    }

    /** Where the app's streamed stdout and stderr go (null: not streamed). */
    private static final class Streams {
        final StreamOutput stdout;
        final StreamOutput stderr;

        Streams(Responder out, AppSpec spec) {
            stdout = spec.stdout().kind() == StdioSpec.Kind.STREAM ? new StreamOutput(out, Protocol.STDOUT) : null;
            stderr = spec.stderr().kind() == StdioSpec.Kind.STREAM ? new StreamOutput(out, Protocol.STDERR) : null;
        }

        boolean any() {
            return stdout != null || stderr != null;
        }

        void kill() {
            StreamSession.kill(stdout);
            StreamSession.kill(stderr);
        }
    }

    /** Whether a peer of another pid namespace may be served at all: it is in a rocker of {@code trusted.rockers}. */
    boolean admits(Peer peer) {
        return !peer.isForeign() || inTrustedRocker(peer);
    }

    /** Whether a peer inside a rocker is in one of the rockers of {@code trusted.rockers}. */
    private boolean inTrustedRocker(Peer peer) {
        if (trustedRockers.isEmpty() || peer.pidNamespace().isEmpty()) {
            return false;
        }
        for (String trusted : trustedRockers) {
            Optional<RockerInfo> r = engine.find(trusted);
            if (r.isPresent() && peer.pidNamespace().equals(PeerProcess.namespace(r.get().guardPid()))) {
                return true;
            }
        }
        return false;
    }

    /** What an enter asks for, as its log lines name it. */
    private record EnterWhat(RockerRequest request, AppSpec spec) {
        @Override
        public String toString() {
            return "enter app_id=" + request.appId() + " uid=" + request.uid() + " gid=" + request.gid()
                    + " pkg=" + request.pkgPath() + " cmd=" + spec.command();
        }
    }

    private void build(RockerRequest request, RockerApp app, Streams streams, Peer peer, Responder out, Object what,
            Runnable built) throws IOException, InterruptedException {
        RockerResult result;
        try {
            result = engine.enterRocker(request, app, authorizer.caller(peer));
            built.run();
            try {
                out.result(result); // the answer first: the log line is not the client's wait
            } finally {
                LOG.info("{}: {} -> {}", peer, what, result);
            }
        } catch (IOException | RuntimeException e) {
            streams.kill();
            throw e;
        }
        if (streams.any()) {
            if (result.isSuccess()) {
                StreamSession.open(streams.stdout);
                StreamSession.open(streams.stderr);
                new StreamSession(engine, out, stopping, streamWaiters).run(result.guardName(), streams.stdout, streams.stderr);
            } else {
                streams.kill();
            }
        }
    }

    /**
     * PREPARE, then STARTED on the same connection (docs/protocol.md): only root on the host enters (it
     * joins the rocker's namespaces); the engine checks the request. Anything but an accepted STARTED
     * within the request timeout tears the rocker down.
     */
    private void prepare(RockerRequest request, Peer peer, Responder out) throws IOException {
        String what = "prepare app_id=" + request.appId() + " uid=" + request.uid() + " gid=" + request.gid() + " pkg=" + request.pkgPath();
        if (peer.uid() != 0 || peer.isForeign()) {
            LOG.warn("{}: {} -> refused: not root on the host", peer, what);
            out.prepared(PreparedRocker.failed(RockerResult.failure(RockerError.ENTER_ROCKER_FAILED, "permission denied (EPERM): "
                    + "only root can enter a rocker; ROCKER_run_rocker runs a command for any user")), EPERM);
            return;
        }
        if (!(engine instanceof RockerPreparer)) {
            out.result(RockerResult.failure(RockerError.SYS, "this server's engine cannot build rockers to be entered"));
            return;
        }
        RockerPreparer preparer = (RockerPreparer) engine;
        PreparedRocker prepared = preparer.prepare(request, authorizer.caller(peer));
        LOG.info("{}: {} -> {}", peer, what, prepared);
        String name = prepared.result().guardName();
        boolean handedOver = false;
        try {
            out.prepared(prepared, 0);
            if (!prepared.result().isSuccess()) {
                handedOver = true;
                return;
            }
            Call next;
            try {
                next = CallCodec.decode(out.receive(maxRequestBytes, requestTimeout));
            } catch (ProtocolException e) {
                out.result(RockerResult.failure(RockerError.PARAM_INVALID, "bad request: " + e.getMessage()));
                return;
            }
            if (!(next instanceof Call.Started)) {
                out.result(RockerResult.failure(RockerError.PARAM_INVALID, "bad request: after PREPARE comes STARTED, not "
                        + next.getClass().getSimpleName()));
                return;
            }
            handedOver = true; // started() tears the rocker down itself when it refuses
            RockerResult r = preparer.started(name, ((Call.Started) next).appPid());
            LOG.info("{}: started {} pid {} -> {}", peer, name, ((Call.Started) next).appPid(), r);
            out.result(r);
        } finally {
            if (!handedOver) {
                LOG.info("{}: rocker {} was not entered (no STARTED): torn down: {}", peer, name, preparer.abandon(name));
            }
        }
    }

    /**
     * What LIST shows {@code peer}: every rocker to a privileged peer; the peer's own otherwise, found
     * without reading any other rocker's cgroups (with 500 live rockers {@code list()} reads 43 ms of them).
     */
    private List<RockerInfo> listFor(Peer peer) {
        if (authorizer.privileged(peer)) return engine.list();
        List<RockerInfo> out = new java.util.ArrayList<>();
        for (RockerInfo i : engine.listOfUid(peer.uid())) {
            if (!authorizer.owns(peer, i)) continue;
            out.add(new RockerInfo(i.guardName(), i.guardPid(), i.appPid(), i.created(), i.request(),
                    engine.stats(i.guardName()).orElse(null), i.image()));
        }
        return out;
    }

    private void guardName(int pid, Peer peer, Responder out) throws IOException {
        RockerResult r = pid > 0 ? engine.getGuardName(pid)
                : RockerResult.failure(RockerError.PARAM_INVALID, "pid '" + pid + "': must be positive");
        LOG.info("{}: guardname {} -> {}", peer, pid, r);
        out.result(r);
    }

    private void destroy(Call.Destroy call, Peer peer, Responder out) throws IOException {
        String what = "destroy " + call.guardName();
        Optional<RockerResult> refusal = ownership(peer, call.guardName());
        if (refusal.isPresent()) {
            refuse(peer, what, refusal.get(), out);
            return;
        }
        RockerResult r = engine.destroy(call.guardName());
        LOG.info("{}: {} -> {}", peer, what, r);
        out.result(r);
    }

    private void destroyPid(Call.DestroyPid call, Peer peer, Responder out) throws IOException {
        String what = "destroy pid " + call.guardPid() + " name " + call.expectedName();
        Optional<RockerResult> refusal = ownership(peer, () -> engine.listWithoutStats().stream().filter(i -> i.guardPid() == call.guardPid()).findFirst(),
                "guard_pid '" + call.guardPid() + "'");
        if (refusal.isPresent()) {
            refuse(peer, what, refusal.get(), out);
            return;
        }
        RockerResult r = engine.destroy(call.guardPid(), call.expectedName());
        LOG.info("{}: {} -> {}", peer, what, r);
        out.result(r);
    }

    private void await(Call.Wait call, Peer peer, Responder out) throws IOException {
        String what = "wait " + call.guardName();
        Optional<RockerResult> refusal = ownership(peer, call.guardName());
        if (refusal.isPresent()) {
            refuse(peer, what, refusal.get(), out);
            return;
        }
        Duration timeout = Duration.ofMillis(Math.min(call.timeoutMillis(), maxWait.toMillis()));
        try {
            OptionalInt status = engine.waitForApp(call.guardName(), timeout);
            LOG.debug("{}: {} -> {}", peer, what, status);
            out.exit(status);
        } catch (RockerException e) {
            LOG.info("{}: {} -> {}: {}", peer, what, e.error().seedName(), e.getMessage());
            out.result(e.toResult());
        }
    }

    /**
     * STATS: refused, like WAIT, for a rocker of another uid; a rocker the engine does not know (for an
     * unprivileged peer: that it does not list), or whose figures it cannot tell, is a RESULT
     * {@code param_invalid}, as {@link RockerClient#stats} is then empty.
     */
    private void stats(Call.Stats call, Peer peer, Responder out) throws IOException {
        String what = "stats " + call.guardName();
        String field = "guard_name '" + call.guardName() + "'";
        Optional<rocker.api.RockerStats> stats = Optional.empty();
        if (authorizer.privileged(peer)) {
            stats = engine.stats(call.guardName());
        } else {
            Optional<RockerInfo> info = engine.find(call.guardName());
            if (info.isPresent() && !authorizer.owns(peer, info.get())) {
                refuse(peer, what, field + ": the rocker is not one of uid " + peer.uid(), out);
                return;
            }
            if (info.isPresent()) {
                stats = engine.stats(call.guardName());
            }
        }
        if (stats.isEmpty()) {
            LOG.info("{}: {} -> unknown", peer, what);
            out.result(RockerResult.failure(RockerError.PARAM_INVALID, field + ": no such rocker, or its figures are unknown"));
            return;
        }
        LOG.debug("{}: {} -> {}", peer, what, stats.get());
        out.stats(stats.get());
    }

    /**
     * For an unprivileged peer: refuses unless the rocker exists ({@code param_invalid} "no such rocker",
     * as the engine answers root) and is the peer's ({@code sys} "permission denied").
     */
    Optional<RockerResult> ownership(Peer peer, String guardName) {
        return ownership(peer, () -> engine.find(guardName), "guard_name '" + guardName + "'");
    }

    /** As {@link #ownership(Peer, String)}, for the rocker {@code which} finds (looked up only for an unprivileged peer). */
    private Optional<RockerResult> ownership(Peer peer, java.util.function.Supplier<Optional<RockerInfo>> which, String field) {
        if (authorizer.privileged(peer)) {
            return Optional.empty();
        }
        Optional<RockerInfo> info = which.get();
        if (info.isEmpty()) {
            return Optional.of(RockerResult.failure(RockerError.PARAM_INVALID, field + ": no such rocker of uid " + peer.uid()));
        }
        return authorizer.owns(peer, info.get()) ? Optional.empty()
                : Optional.of(RockerResult.failure(RockerError.SYS, "permission denied: " + field + ": the rocker is not one of uid " + peer.uid()));
    }

    private static void refuse(Peer peer, Object what, RockerResult refusal, Responder out) throws IOException {
        LOG.warn("{}: {} -> refused: {}", peer, what, refusal.message());
        out.result(refusal);
    }

    private static void refuse(Peer peer, Object what, String why, Responder out) throws IOException {
        LOG.warn("{}: {} -> refused: {}", peer, what, why);
        out.result(RockerResult.failure(RockerError.SYS, "permission denied: " + why));
    }
}
