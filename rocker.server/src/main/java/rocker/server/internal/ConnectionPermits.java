package rocker.server.internal;

/**
 * The shares one connection counts against: it starts on a connection slot (taken by the acceptor for
 * its peer) and may move to a stream slot while it streams an app's output; {@link #release()} gives
 * back whichever it holds.
 */
final class ConnectionPermits {
    private final FairShare requests;
    private final FairShare streams;
    private final int uid;
    private final boolean privileged;
    private boolean streaming;
    private boolean released;

    /** For a connection of {@code uid} that already holds a slot of {@code requests}. */
    ConnectionPermits(FairShare requests, FairShare streams, int uid, boolean privileged) {
        this.requests = requests;
        this.streams = streams;
        this.uid = uid;
        this.privileged = privileged;
    }

    /** Moves to a stream slot; null when done, else why not. */
    synchronized String toStreaming() {
        if (streaming) {
            return null;
        }
        if (released) {
            return "the connection is closing";
        }
        String refused = streams.tryAcquire(uid, privileged);
        if (refused != null) {
            return refused;
        }
        streaming = true;
        requests.release(uid, privileged);
        return null;
    }

    synchronized void release() {
        if (!released) {
            released = true;
            (streaming ? streams : requests).release(uid, privileged);
        }
    }
}
