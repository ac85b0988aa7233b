package rocker.server.internal;

import java.util.concurrent.Semaphore;

/**
 * The limits one connection counts against: it starts on a request permit (taken by the acceptor) and
 * may move to a stream permit while it streams an app's output; {@link #release()} gives back whichever
 * it holds.
 */
final class ConnectionPermits {
    private final Semaphore requests;
    private final Semaphore streams;
    private boolean streaming;
    private boolean released;

    /** For a connection that already holds one permit of {@code requests}. */
    ConnectionPermits(Semaphore requests, Semaphore streams) {
        this.requests = requests;
        this.streams = streams;
    }

    synchronized boolean toStreaming() {
        if (streaming) {
            return true;
        }
        if (released || !streams.tryAcquire()) {
            return false;
        }
        streaming = true;
        requests.release();
        return true;
    }

    synchronized void release() {
        if (!released) {
            released = true;
            (streaming ? streams : requests).release();
        }
    }
}
