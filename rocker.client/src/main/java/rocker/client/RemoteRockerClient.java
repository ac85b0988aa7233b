package rocker.client;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.osgi.annotation.versioning.ProviderType;
import rocker.api.RockerApp;
import rocker.api.RockerClient;
import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.api.RockerInfo;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.api.RockerStats;
import rocker.client.protocol.Call;
import rocker.client.protocol.CallCodec;
import rocker.client.protocol.Frame;
import rocker.client.protocol.Protocol;
import rocker.client.protocol.ProtocolException;
import rocker.client.protocol.ReplyCodec;
import rocker.client.remote.ClientConnection;
import rocker.client.remote.ExitWatch;
import rocker.client.remote.RemoteApp;
import rocker.client.remote.StreamReceiver;

/**
 * A {@link RockerClient} that asks a Rocker server over its Unix socket (one connection per call). The
 * server authorizes each call from the kernel's view of this process (uid/gid/pid), so an unprivileged
 * process may make rockers for its own uid/gid.
 *
 * <p>Connection failures are results (or, for {@link #list()} and {@link #waitForApp}, exceptions) with
 * the seed's codes: {@code server_unaddr_invalid}, {@code gen_local_addr_failed},
 * {@code send_req_failed}, {@code recv_resp_failed}.
 *
 * <p>An app whose stdout or stderr is {@code Stdio.stream(...)} or {@code Stdio.inherit()} keeps its
 * connection open: the server streams the output back and a daemon thread copies it, until the app
 * ends; {@link #waitForApp} then reports the status carried by that connection. {@code inherit} means
 * this process's own fd 1/2. {@link #close()} stops all such copying; the rockers keep running.
 *
 * <p>Requests go out in protocol version 2 ({@link Protocol#VERSION}) unless the constructor says
 * otherwise; when the server does not speak it (an older server), the client asks again in version 1
 * and stays with version 1 from then on. A request with devices, shared dirs, seccomp or limits other
 * than the default, which version 1 cannot carry, is never sent in version 1: it goes out in the version asked for (the server may have
 * been upgraded since), and fails with {@code param_invalid} naming the field when that is version 1
 * or the server still speaks only version 1.
 *
 * <p>Usable as a plain Java class: {@code new RemoteRockerClient("/run/rocker/rocker.sock")}.
 */
@ProviderType
public class RemoteRockerClient implements RockerClient, AutoCloseable {
    /** The server's default socket. */
    public static final String DEFAULT_SOCKET = "/run/rocker/rocker.sock";
    /** The default time the server has to answer a call. */
    public static final Duration DEFAULT_RESPONSE_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration WAIT_CHUNK = Duration.ofSeconds(25);
    /** Ended streams whose status nobody asked for are forgotten beyond this many. */
    private static final int MAX_ENDED_STREAMS = 256;

    private final String socketPath;
    private final Duration responseTimeout;
    private final Map<String, StreamReceiver> streams = new ConcurrentHashMap<>();
    /** The version asked for in the constructor. */
    private final int requested;
    private volatile int version;
    /** The one connection for all onAppExit subscriptions, opened on the first. */
    private ExitWatch exitWatch;

    /** A client of the server at {@code socketPath}. */
    public RemoteRockerClient(String socketPath) {
        this(socketPath, DEFAULT_RESPONSE_TIMEOUT);
    }

    /** A client of the server at {@code socketPath} that waits at most {@code responseTimeout} for answers. */
    public RemoteRockerClient(String socketPath, Duration responseTimeout) {
        this(socketPath, responseTimeout, Protocol.VERSION);
    }

    /**
     * A client of the server at {@code socketPath} that waits at most {@code responseTimeout} for answers
     * and sends its requests in protocol {@code version} (1 or 2).
     *
     * @throws IllegalArgumentException for a version this client does not speak
     */
    public RemoteRockerClient(String socketPath, Duration responseTimeout, int version) {
        this.socketPath = socketPath;
        this.responseTimeout = Objects.requireNonNull(responseTimeout, "responseTimeout");
        this.requested = Protocol.checkVersion(version);
        this.version = requested;
    }

    /** The protocol version of the next request: the one asked for, or 1 once the server refused it. */
    public int protocolVersion() {
        return version;
    }

    public String socketPath() {
        return socketPath;
    }

    @Override
    public RockerResult enterRocker(RockerRequest request, RockerApp app) {
        RemoteApp remote;
        try {
            request.validate();
            app.validate();
            remote = RemoteApp.of(app);
        } catch (RockerException e) {
            return e.toResult();
        }
        Call.Enter enter = new Call.Enter(request, remote.spec());
        ClientConnection conn = null;
        try {
            conn = ClientConnection.open(socketPath, CONNECT_TIMEOUT, CallCodec.unfit(enter, version) == null ? version : requested);
            RockerResult result = ReplyCodec.result(call(conn, enter, responseTimeout));
            if (result.isSuccess() && remote.spec().streams()) {
                startStreaming(result.guardName(), conn, remote);
                conn = null;
            }
            return result;
        } catch (RockerException e) {
            return e.toResult();
        } catch (ProtocolException e) {
            return RockerResult.failure(RockerError.RECV_RESP_FAILED, "bad response: " + e.getMessage());
        } finally {
            if (conn != null) {
                conn.close();
            }
        }
    }

    @Override
    public RockerResult getGuardName(int pid) {
        return resultOf(new Call.GuardName(pid));
    }

    @Override
    public RockerResult destroy(String guardName) {
        if (guardName == null) {
            return RockerResult.failure(RockerError.PARAM_INVALID, "guard_name is required");
        }
        return resultOf(new Call.Destroy(guardName));
    }

    @Override
    public RockerResult destroy(int guardPid, String expectedName) {
        if (expectedName == null) {
            return RockerResult.failure(RockerError.PARAM_INVALID, "guard_name is required");
        }
        return resultOf(new Call.DestroyPid(guardPid, expectedName));
    }

    /** @throws RockerException when the server cannot be asked */
    @Override
    public List<RockerInfo> list() {
        try (ClientConnection conn = open()) {
            Frame reply = call(conn, new Call.ListRockers(), responseTimeout);
            return ReplyCodec.infos(reply, conn.version());
        } catch (ProtocolException e) {
            throw failure(e);
        }
    }

    /**
     * Asks the server (request STATS, protocol version 2 only). Empty when the server knows no such
     * rocker or cannot tell its figures ({@code param_invalid}), and when it cannot be asked in version 2
     * (a server that speaks only version 1, or an older one that does not know STATS).
     *
     * @throws RockerException when the server cannot be asked, or refuses ({@code sys}, "permission
     *         denied: ...": the rocker is another uid's)
     */
    @Override
    public Optional<RockerStats> stats(String guardName) {
        Objects.requireNonNull(guardName, "guardName");
        // STATS is never sent in version 1: after a fall-back, ask in the version asked for once more
        try (ClientConnection conn = ClientConnection.open(socketPath, CONNECT_TIMEOUT, version == Protocol.V1 ? requested : version)) {
            return Optional.of(ReplyCodec.stats(conn.call(new Call.Stats(guardName), responseTimeout)));
        } catch (RockerException e) {
            if (e.error() == RockerError.PARAM_INVALID) {
                return Optional.empty();
            }
            throw e;
        } catch (ProtocolException e) {
            RockerException f = failure(e);
            if (f.error() == RockerError.PARAM_INVALID) {
                return Optional.empty();
            }
            throw f;
        }
    }

    @Override
    public OptionalInt waitForApp(String guardName, Duration timeout) {
        Objects.requireNonNull(guardName, "guardName");
        StreamReceiver receiver = streams.get(guardName);
        if (receiver != null) {
            return awaitStream(guardName, receiver, timeout);
        }
        long end = System.nanoTime() + Math.max(0, timeout.toNanos());
        if (!watchUnknown) {
            OptionalInt watched = awaitWatch(guardName, end);
            if (watched != null) return watched;
        }
        while (true) {
            long left = Math.max(0, end - System.nanoTime());
            Duration chunk = Duration.ofNanos(Math.min(left, WAIT_CHUNK.toNanos()));
            try (ClientConnection conn = open()) {
                Frame reply = call(conn, new Call.Wait(guardName, chunk.toMillis()), responseTimeout.plus(chunk));
                OptionalInt status = ReplyCodec.exit(reply, conn.version());
                if (status.isPresent() || left <= chunk.toNanos()) {
                    return status;
                }
            } catch (ProtocolException e) {
                throw failure(e);
            }
        }
    }

    /**
     * Completes when the app ends: for an app streamed to this client from its stream connection, else
     * through one watch connection for all subscriptions (request WATCH, protocol version 2; an older
     * server fails the stage with its answer). Nothing polls.
     */
    @Override
    public CompletionStage<Integer> onAppExit(String guardName) {
        if (guardName == null) {
            return CompletableFuture.failedStage(new RockerException(RockerError.PARAM_INVALID, "guard_name 'null': is required"));
        }
        if (guardName.isEmpty() || guardName.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > RockerResult.MAX_GUARD_NAME) {
            return CompletableFuture.failedStage(new RockerException(RockerError.PARAM_INVALID, "guard_name '" + guardName
                    + "': must be 1 to " + RockerResult.MAX_GUARD_NAME + " bytes"));
        }
        StreamReceiver receiver = streams.get(guardName);
        if (receiver != null) {
            return receiver.status().minimalCompletionStage();
        }
        try {
            return watchExit(guardName).minimalCompletionStage();
        } catch (RockerException e) {
            return CompletableFuture.failedStage(e);
        }
    }

    /** A watch on the watch connection; one that closed itself while idle is opened again. */
    private CompletableFuture<Integer> watchExit(String guardName) {
        ExitWatch w = exitWatch();
        try {
            return w.watch(guardName);
        } catch (RockerException e) {
            if (!w.endedIdle()) throw e;
            return exitWatch().watch(guardName);
        }
    }

    private synchronized ExitWatch exitWatch() {
        if (exitWatch == null || exitWatch.isEnded()) {
            exitWatch = ExitWatch.open(socketPath, CONNECT_TIMEOUT, responseTimeout);
        }
        return exitWatch;
    }

    /** Stops copying the output of every streamed app and ends the watch connection (what waits fails); the rockers keep running. */
    @Override
    public void close() {
        streams.values().forEach(StreamReceiver::cancel);
        streams.clear();
        synchronized (this) {
            if (exitWatch != null) exitWatch.close();
            exitWatch = null;
        }
    }

    /** Set once the server answered WATCH with "unknown request type": waitForApp asks with WAIT from then on. */
    private volatile boolean watchUnknown;

    /**
     * Waits through the watch connection (one WATCH a rocker, shared with onAppExit: no new connection per
     * wait); null when the server does not know WATCH. A connection lost meanwhile (the server restarted)
     * is opened again until the deadline.
     */
    private OptionalInt awaitWatch(String guardName, long end) {
        while (true) {
            CompletableFuture<Integer> exit;
            try {
                exit = watchExit(guardName);
            } catch (RockerException e) {
                if (!connectionLost(e) || System.nanoTime() - end >= 0) throw e;
                pause();
                continue;
            }
            try {
                return OptionalInt.of(exit.get(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS));
            } catch (TimeoutException e) {
                return OptionalInt.empty();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RockerException(RockerError.RECV_RESP_FAILED, "interrupted while waiting for " + guardName);
            } catch (ExecutionException e) {
                RockerException r = e.getCause() instanceof RockerException ? (RockerException) e.getCause()
                        : new RockerException(RockerError.RECV_RESP_FAILED, String.valueOf(e.getCause()), e.getCause());
                if (r.error() == RockerError.PARAM_INVALID && r.getMessage().startsWith(ExitWatch.REFUSED + "bad request: ")) {
                    watchUnknown = true; // an older server ("unknown request type 0x0a", or version 1 only): WAIT from now on
                    return null;
                }
                if (r.error() == RockerError.SYS && r.getMessage().startsWith(ExitWatch.REFUSED + "server busy")) {
                    return null; // no stream slot for a watch connection now: this wait asks with WAIT
                }
                if (!connectionLost(r) || System.nanoTime() - end >= 0) throw r;
                pause();
            }
        }
    }

    private static boolean connectionLost(RockerException e) {
        return e.error() == RockerError.RECV_RESP_FAILED || e.error() == RockerError.SERVER_UNADDR_INVALID
                || e.error() == RockerError.SEND_REQ_FAILED;
    }

    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RockerException(RockerError.RECV_RESP_FAILED, "interrupted");
        }
    }

    private void startStreaming(String guardName, ClientConnection conn, RemoteApp remote) {
        StreamReceiver receiver = new StreamReceiver(conn, remote.out(), remote.err());
        if (streams.size() >= MAX_ENDED_STREAMS) {
            streams.values().removeIf(r -> r.status().isDone());
        }
        streams.put(guardName, receiver);
        Thread t = new Thread(receiver, "rocker-remote-stream-" + guardName);
        t.setDaemon(true);
        t.start();
    }

    private OptionalInt awaitStream(String guardName, StreamReceiver receiver, Duration timeout) {
        try {
            int status = receiver.status().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            streams.remove(guardName, receiver);
            return OptionalInt.of(status);
        } catch (TimeoutException e) {
            return OptionalInt.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RockerException(RockerError.RECV_RESP_FAILED, "interrupted while waiting for " + guardName);
        } catch (ExecutionException e) {
            streams.remove(guardName, receiver);
            throw e.getCause() instanceof RockerException ? (RockerException) e.getCause()
                    : new RockerException(RockerError.RECV_RESP_FAILED, String.valueOf(e.getCause()), e.getCause());
        }
    }

    private RockerResult resultOf(Call call) {
        try (ClientConnection conn = open()) {
            return ReplyCodec.result(call(conn, call, responseTimeout));
        } catch (RockerException e) {
            return e.toResult();
        } catch (ProtocolException e) {
            return RockerResult.failure(RockerError.RECV_RESP_FAILED, "bad response: " + e.getMessage());
        }
    }

    private ClientConnection open() {
        return ClientConnection.open(socketPath, CONNECT_TIMEOUT, version);
    }

    /** Sends {@code call} on {@code conn}; remembers when the server made the connection fall back to version 1. */
    private Frame call(ClientConnection conn, Call call, Duration timeout) {
        Frame reply = conn.call(call, timeout);
        if (conn.version() != version) {
            version = conn.version();
        }
        return reply;
    }

    private static RockerException failure(ProtocolException e) {
        if (e instanceof rocker.client.protocol.ErrorReplyException) {
            RockerResult r = ((rocker.client.protocol.ErrorReplyException) e).result();
            return new RockerException(r.error(), r.message());
        }
        return new RockerException(RockerError.RECV_RESP_FAILED, "bad response: " + e.getMessage(), e);
    }

    @Override
    public String toString() {
        return "RemoteRockerClient[" + socketPath + "]";
    }
}
