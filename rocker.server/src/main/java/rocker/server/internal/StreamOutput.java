package rocker.server.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import rocker.client.protocol.Protocol;

/**
 * The stream the engine copies an app's stdout or stderr into: every write becomes STDOUT/STDERR
 * frames to the client. Writes wait until {@link #open()} (after the RESULT frame went out), so output
 * never overtakes the result. Once the client is gone (or too slow), output is dropped silently, so the
 * app itself never notices a client that went away.
 */
final class StreamOutput extends OutputStream {
    private final Responder responder;
    private final byte frameType;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final CountDownLatch gate = new CountDownLatch(1);
    private volatile boolean dead;

    StreamOutput(Responder responder, byte frameType) {
        this.responder = responder;
        this.frameType = frameType;
    }

    @Override
    public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
        try {
            gate.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            dead = true;
        }
        for (int at = off; at < off + len && !dead; at += Protocol.MAX_CHUNK_BYTES) {
            int n = Math.min(Protocol.MAX_CHUNK_BYTES, off + len - at);
            try {
                responder.send(frameType, ByteBuffer.wrap(b, at, n).slice());
            } catch (IOException e) {
                dead = true;
            }
        }
    }

    @Override
    public void close() {
        closed.countDown();
    }

    /** Lets output flow (the RESULT frame has been sent). */
    void open() {
        gate.countDown();
    }

    /** Drops all further output. */
    void kill() {
        dead = true;
        gate.countDown();
    }

    /** Waits until the engine closed this stream (the app closed its end). */
    boolean awaitClosed(long millis) throws InterruptedException {
        return closed.await(millis, TimeUnit.MILLISECONDS);
    }
}
