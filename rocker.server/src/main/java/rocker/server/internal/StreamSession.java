package rocker.server.internal;

import java.io.IOException;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.function.BooleanSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import rocker.api.RockerClient;
import rocker.api.RockerException;

/**
 * After a successful ENTER whose output is streamed: waits for the app to end while its output flows
 * to the client, then sends EXIT with its status (or a RESULT when the status cannot be observed).
 * Ends early, leaving the rocker running, when the client goes away or the server stops.
 */
final class StreamSession {
    private static final Logger LOG = LoggerFactory.getLogger(StreamSession.class);
    private static final Duration POLL = Duration.ofMillis(500);
    private static final long DRAIN_MILLIS = 2000;

    private final RockerClient engine;
    private final Responder responder;
    private final BooleanSupplier stopping;
    private final StreamWaiters waiters;

    StreamSession(RockerClient engine, Responder responder, BooleanSupplier stopping, StreamWaiters waiters) {
        this.engine = engine;
        this.responder = responder;
        this.stopping = stopping;
        this.waiters = waiters;
    }

    void run(String guardName, StreamOutput out, StreamOutput err) throws IOException, InterruptedException {
        Thread self = Thread.currentThread();
        // registered before the first look at the stop flag: a server that stops wakes this wait at once
        waiters.add(self);
        try {
            while (true) {
                if (stopping.getAsBoolean()) {
                    LOG.info("stopped streaming rocker {}: the server stops", guardName);
                    return;
                }
                OptionalInt status = engine.waitForApp(guardName, POLL);
                if (status.isPresent()) {
                    drain(out);
                    drain(err);
                    responder.exit(status);
                    return;
                }
                if (!stopping.getAsBoolean() && responder.clientGone()) {
                    LOG.info("stopped streaming rocker {}: the client went away", guardName);
                    return;
                }
            }
        } catch (RockerException e) {
            responder.result(e.toResult());
        } finally {
            waiters.remove(self);
            if (stopping.getAsBoolean()) {
                Thread.interrupted(); // the server's wake-up, done with
            }
            kill(out);
            kill(err);
        }
    }

    private static void drain(StreamOutput s) throws InterruptedException {
        if (s != null) {
            s.awaitClosed(DRAIN_MILLIS);
        }
    }

    static void open(StreamOutput s) {
        if (s != null) {
            s.open();
        }
    }

    static void kill(StreamOutput s) {
        if (s != null) {
            s.kill();
        }
    }
}
