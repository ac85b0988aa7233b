package rocker.server.internal;

import java.io.EOFException;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import rocker.api.RockerClient;
import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.api.RockerResult;
import rocker.client.protocol.AppExit;
import rocker.client.protocol.Call;
import rocker.client.protocol.CallCodec;
import rocker.client.protocol.Protocol;
import rocker.client.protocol.ProtocolException;
import rocker.client.protocol.ReplyCodec;

/**
 * A watch connection (docs/protocol.md, WATCH): one per client for all its {@code onAppExit}
 * subscriptions, holding one stream slot (the per-uid share counts it once). Each WATCH gets exactly one
 * EXITED, when the app ends or at once when it cannot be watched; nothing polls: the engine's stage
 * completes when the guard reports. EXITED frames are written by one thread of this session, never by
 * the engine's (a client that does not read must not stall the engine). At most {@link #MAX_PENDING}
 * watches wait at once and {@link #MAX_QUEUED} frames wait to be written (a client that does not read is
 * cut off, not buffered for); when the connection ends its watches are cancelled, so the engine keeps
 * nothing of them. The connection lives until the client closes it or the server stops.
 */
final class WatchSession {
    private static final Logger LOG = LoggerFactory.getLogger(WatchSession.class);
    /** Watches one connection may have waiting. */
    static final int MAX_PENDING = 1024;
    /** Frames that may wait for a client that does not read before it is cut off. */
    static final int MAX_QUEUED = 256;
    /** A watch connection is idle for as long as its apps run. */
    private static final Duration IDLE = Duration.ofDays(3650);

    /** Who may watch what: empty, or the refusal (as for WAIT). */
    interface Ownership {
        Optional<RockerResult> refusal(Peer peer, String guardName);
    }

    private final RockerClient engine;
    private final Peer peer;
    private final Responder out;
    private final CallDispatcher.StreamPermit permit;
    private final int maxRequestBytes;
    private final Ownership ownership;
    private final BooleanSupplier stopping;
    private final AtomicInteger pending = new AtomicInteger();
    private final ExecutorService writer;
    /** The engine's stages of this connection's waiting watches: cancelled when it ends. */
    private final java.util.Set<java.util.concurrent.CompletableFuture<Integer>> waiting = java.util.concurrent.ConcurrentHashMap.newKeySet();

    WatchSession(RockerClient engine, Peer peer, Responder out, CallDispatcher.StreamPermit permit, int maxRequestBytes,
            Ownership ownership, BooleanSupplier stopping) {
        this.engine = engine;
        this.peer = peer;
        this.out = out;
        this.permit = permit;
        this.maxRequestBytes = maxRequestBytes;
        this.ownership = ownership;
        this.stopping = stopping;
        this.writer = new java.util.concurrent.ThreadPoolExecutor(1, 1, 0, java.util.concurrent.TimeUnit.MILLISECONDS,
                new java.util.concurrent.ArrayBlockingQueue<>(MAX_QUEUED), r -> {
                    Thread t = new Thread(r, "rocker-watch-" + peer.pid());
                    t.setDaemon(true);
                    return t;
                });
    }

    void run(Call.Watch first) throws IOException {
        String busy = permit.acquire();
        if (busy != null) {
            LOG.warn("{}: watch -> refused, no stream slot: {}", peer, busy);
            out.result(RockerResult.failure(RockerError.SYS, "server busy: " + busy));
            writer.shutdown();
            return;
        }
        try {
            Call call = first;
            while (!stopping.getAsBoolean()) {
                if (!(call instanceof Call.Watch)) {
                    String what = call.getClass().getSimpleName();
                    send(() -> out.result(RockerResult.failure(RockerError.PARAM_INVALID,
                            "bad request: a watch connection takes WATCH only, not " + what)));
                    return;
                }
                subscribe(((Call.Watch) call).guardName());
                try {
                    call = CallCodec.decode(out.receive(maxRequestBytes, IDLE));
                } catch (EOFException e) {
                    return;
                } catch (ProtocolException e) {
                    String why = e.getMessage();
                    send(() -> out.result(RockerResult.failure(RockerError.PARAM_INVALID, "bad request: " + why)));
                    return;
                }
            }
        } finally {
            for (java.util.concurrent.CompletableFuture<Integer> w : waiting) w.cancel(false); // unsubscribed
            writer.shutdown(); // what is queued is still written before the connection closes
            try {
                writer.awaitTermination(2, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void subscribe(String name) {
        if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > RockerResult.MAX_GUARD_NAME) {
            tell(AppExit.failed(name.substring(0, Math.min(name.length(), 40)), RockerError.PARAM_INVALID,
                    "guard_name: at most " + RockerResult.MAX_GUARD_NAME + " bytes"));
            return;
        }
        Optional<RockerResult> refusal = ownership.refusal(peer, name);
        if (refusal.isPresent()) {
            tell(AppExit.failed(name, refusal.get().error(), refusal.get().message()));
            return;
        }
        if (pending.incrementAndGet() > MAX_PENDING) {
            pending.decrementAndGet();
            tell(AppExit.failed(name, RockerError.SYS, "too many watches wait on this connection (" + MAX_PENDING + ")"));
            return;
        }
        LOG.debug("{}: watch {}", peer, name);
        java.util.concurrent.CompletableFuture<Integer> stage = engine.onAppExit(name).toCompletableFuture();
        waiting.add(stage);
        stage.whenComplete((status, e) -> {
            waiting.remove(stage);
            pending.decrementAndGet();
            if (!stage.isCancelled()) tell(e == null ? AppExit.ended(name, status) : failure(name, e));
        });
    }

    private static AppExit failure(String name, Throwable e) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof RockerException) {
            RockerException r = (RockerException) cause;
            return AppExit.failed(name, r.error(), r.getMessage());
        }
        return AppExit.failed(name, RockerError.SYS, "rocker " + name + ": " + cause);
    }

    /** One EXITED, on this session's writer thread. */
    private void tell(AppExit x) {
        send(() -> out.send(Protocol.EXITED, ReplyCodec.exited(x)));
    }

    private interface Write {
        void run() throws IOException;
    }

    private void send(Write w) {
        try {
            writer.execute(() -> {
                try {
                    w.run();
                } catch (IOException e) {
                    LOG.debug("{}: watch connection gone: {}", peer, e.toString());
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // the session ended (the client is gone), or the client reads too slowly: cut it off
            if (!writer.isShutdown()) {
                LOG.warn("{}: watch connection cut off: {} frames wait for a client that does not read", peer, MAX_QUEUED);
                out.shutdown();
            }
        }
    }
}
