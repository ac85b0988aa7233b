package rocker.client.remote;

import java.io.Closeable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.api.RockerResult;
import rocker.client.protocol.AppExit;
import rocker.client.protocol.Call;
import rocker.client.protocol.Deadline;
import rocker.client.protocol.Frame;
import rocker.client.protocol.Protocol;
import rocker.client.protocol.ProtocolException;
import rocker.client.protocol.ReplyCodec;

/**
 * The client's watch connection (docs/protocol.md, WATCH): one connection for all of a client's
 * {@code onAppExit} subscriptions. The first {@link #watch} of a rocker sends a WATCH; later ones while
 * it waits share it (one WATCH a rocker, however often a client asks: a {@code waitForApp} loop with short
 * timeouts costs the server nothing more). A daemon thread reads the EXITED frames and completes the
 * stages. When the connection ends (the server stops, refuses it, or sends garbage) every waiting stage
 * fails with the reason, and the client opens a new one for the next watch. A connection nothing waits
 * on is closed after {@link #LINGER_MILLIS} (so that it holds no server slot and no threads for long, and
 * a wait right after the last one finds it open).
 */
public final class ExitWatch implements Closeable {
    private static final Duration IDLE = Duration.ofDays(3650);
    /** How a RESULT that ends the watch connection (server busy, an older server) begins its message. */
    public static final String REFUSED = "the server ended the watch connection: ";

    private final ClientConnection conn;
    private final Duration writeTimeout;
    /** The rockers watched now: one WATCH each, shared by every caller until its EXITED. */
    private final Map<String, CompletableFuture<Integer>> pending = new HashMap<>();
    private RockerException ended;
    /** Whether it ended because nothing waited on it (a new one is opened for the next watch, silently). */
    private boolean idleEnded;
    /** How long a connection nothing waits on stays open. */
    static final long LINGER_MILLIS = 2000;
    /** Closes connections nothing waits on: one thread at most, none while nothing is due. */
    private static final java.util.concurrent.ScheduledThreadPoolExecutor LINGER = lingerExecutor();
    private long idleSince = -1;

    private static java.util.concurrent.ScheduledThreadPoolExecutor lingerExecutor() {
        java.util.concurrent.ScheduledThreadPoolExecutor e = new java.util.concurrent.ScheduledThreadPoolExecutor(0, r -> {
            Thread t = new Thread(r, "rocker-remote-exit-linger");
            t.setDaemon(true);
            return t;
        });
        e.setRemoveOnCancelPolicy(true);
        return e;
    }

    private ExitWatch(ClientConnection conn, Duration writeTimeout) {
        this.conn = conn;
        this.writeTimeout = writeTimeout;
    }

    /** Connects (in protocol version 2: WATCH exists only there) and starts the reader. */
    public static ExitWatch open(String socketPath, Duration connectTimeout, Duration writeTimeout) {
        ExitWatch w = new ExitWatch(ClientConnection.open(socketPath, connectTimeout, Protocol.V2), writeTimeout);
        Thread t = new Thread(w::read, "rocker-remote-exit-watch");
        t.setDaemon(true);
        t.start();
        return w;
    }

    /** Whether this connection has ended (a new one is needed). */
    public synchronized boolean isEnded() {
        return ended != null;
    }

    /** Whether it ended because nothing waited on it: a watch refused by it is to be asked of a new one. */
    public synchronized boolean endedIdle() {
        return idleEnded;
    }

    /** Completes with the app's exit status, or fails with the server's reason; a stage of its own for each caller. */
    public CompletableFuture<Integer> watch(String guardName) {
        CompletableFuture<Integer> shared;
        boolean send;
        synchronized (this) {
            if (ended != null) throw ended;
            shared = pending.get(guardName);
            idleSince = -1;
            send = shared == null;
            if (send) {
                shared = new CompletableFuture<>();
                pending.put(guardName, shared);
            }
        }
        if (send) {
            try {
                synchronized (conn) {
                    conn.sendMore(new Call.Watch(guardName), writeTimeout);
                }
            } catch (RockerException e) {
                end(e);
            }
        }
        return shared.thenApply(status -> status);
    }

    private void read() {
        try {
            while (true) {
                Frame f = conn.next(Deadline.in(IDLE));
                if (f.type() == Protocol.EXITED) {
                    tell(ReplyCodec.exited(f));
                } else if (f.type() == Protocol.RESULT) {
                    RockerResult r = ReplyCodec.result(f);
                    end(new RockerException(r.error(), REFUSED + r.message()));
                    return;
                } else {
                    end(new RockerException(RockerError.RECV_RESP_FAILED, String.format("unexpected frame type 0x%02x on the watch connection", f.type() & 0xff)));
                    return;
                }
            }
        } catch (RockerException e) {
            end(e);
        } catch (ProtocolException e) {
            end(new RockerException(RockerError.RECV_RESP_FAILED, "bad response from the server: " + e.getMessage(), e));
        }
    }

    private void tell(AppExit x) {
        CompletableFuture<Integer> f;
        synchronized (this) {
            f = pending.remove(x.guardName());
            if (pending.isEmpty()) {
                idleSince = System.nanoTime();
                LINGER.schedule(this::closeIfIdle, LINGER_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
            }
        }
        if (f == null) return; // not asked for: ignored
        if (x.ended()) {
            f.complete(x.status());
        } else {
            f.completeExceptionally(new RockerException(x.error(), x.message()));
        }
    }

    private void closeIfIdle() {
        synchronized (this) {
            if (ended != null || !pending.isEmpty() || idleSince < 0
                    || System.nanoTime() - idleSince < java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(LINGER_MILLIS)) {
                return;
            }
            idleEnded = true;
        }
        end(new RockerException(RockerError.RECV_RESP_FAILED, "the watch connection was idle"));
    }

    /** Fails what waits; the connection is closed. */
    private void end(RockerException why) {
        List<CompletableFuture<Integer>> waiting;
        synchronized (this) {
            if (ended == null) ended = why;
            waiting = new ArrayList<>(pending.values());
            pending.clear();
        }
        waiting.forEach(f -> f.completeExceptionally(why));
        conn.close();
    }

    @Override
    public void close() {
        end(new RockerException(RockerError.RECV_RESP_FAILED, "the client was closed"));
    }
}
