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

    StreamSession(RockerClient engine, Responder responder, BooleanSupplier stopping) {
        this.engine = engine;
        this.responder = responder;
        this.stopping = stopping;
    }

    void run(String guardName, StreamOutput out, StreamOutput err) throws IOException, InterruptedException {
        try {
            while (true) {
                OptionalInt status = engine.waitForApp(guardName, POLL);
                if (status.isPresent()) {
                    drain(out);
                    drain(err);
                    responder.exit(status);
                    return;
                }
                if (stopping.getAsBoolean() || responder.clientGone()) {
                    LOG.info("stopped streaming rocker {}: {}", guardName,
                            stopping.getAsBoolean() ? "the server stops" : "the client went away");
                    return;
                }
            }
        } catch (RockerException e) {
            responder.result(e.toResult());
        } finally {
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
