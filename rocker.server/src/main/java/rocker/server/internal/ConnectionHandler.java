package rocker.server.internal;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import rocker.api.RockerError;
import rocker.api.RockerResult;
import rocker.client.protocol.Call;
import rocker.client.protocol.CallCodec;
import rocker.client.protocol.Deadline;
import rocker.client.protocol.Frame;
import rocker.client.protocol.FrameChannel;
import rocker.client.protocol.ProtocolException;

/**
 * Serves one connection on its own thread: reads the single request frame within the request timeout,
 * decodes it (protocol version 1 or 2) and hands it to the {@link CallDispatcher} with a
 * {@link Responder} that answers in the request's version. Garbage, oversized frames and timeouts get
 * an error RESULT (in version 1 when no version this server speaks could be read); a client that
 * disconnects is just dropped. The channel is always closed here, by the thread that uses it.
 */
final class ConnectionHandler implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionHandler.class);

    private final FrameChannel channel;
    private final Peer peer;
    private final CallDispatcher dispatcher;
    private final ConnectionPermits permits;
    private final int maxRequestBytes;
    private final Duration requestTimeout;
    private final Duration writeTimeout;
    private final Runnable onEnd;

    ConnectionHandler(FrameChannel channel, Peer peer, CallDispatcher dispatcher, ConnectionPermits permits,
            ServerSettings settings, Runnable onEnd) {
        this.channel = channel;
        this.peer = peer;
        this.dispatcher = dispatcher;
        this.permits = permits;
        this.maxRequestBytes = settings.maxRequestBytes();
        this.requestTimeout = settings.requestTimeout();
        this.writeTimeout = settings.writeTimeout();
        this.onEnd = onEnd;
    }

    /** Wakes the thread (shuts the socket down); the thread itself closes it. */
    void abort() {
        channel.shutdown();
    }

    /** Ends a connection that will not be served: closed, its permits given back, unregistered. */
    void dropUnserved() {
        end();
    }

    @Override
    public void run() {
        try {
            Received received = receive(peer, new Responder(channel, writeTimeout));
            if (received != null) {
                dispatcher.dispatch(received.call(), peer, received.out(), permits::toStreaming);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            LOG.debug("connection of {} ended: {}", peer, e.toString());
        } finally {
            end();
        }
    }

    private void end() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing left to do
        }
        permits.release();
        onEnd.run();
    }

    /** A decoded request and the responder that answers in its version. */
    private record Received(Call call, Responder out) { }

    /**
     * Reads and decodes the request. Errors before a version this server speaks has been read are
     * answered by {@code v1}; errors in the body, in the request's version.
     */
    private Received receive(Peer peer, Responder v1) throws IOException {
        Responder out = v1;
        try {
            Frame frame = channel.read(maxRequestBytes, Deadline.in(requestTimeout));
            out = v1.inVersion(CallCodec.version(frame));
            return new Received(CallCodec.decode(frame), out);
        } catch (EOFException e) {
            LOG.debug("{}: {}", peer, e.getMessage());
        } catch (SocketTimeoutException e) {
            LOG.warn("{}: dropped, {} (limit {} ms)", peer, e.getMessage(), requestTimeout.toMillis());
            out.result(RockerResult.failure(RockerError.SEND_REQ_FAILED,
                    "the server did not receive a whole request within " + requestTimeout.toMillis() + " ms"));
        } catch (ProtocolException e) {
            LOG.warn("{}: bad request: {} (answered in version {})", peer, e.getMessage(), out.version());
            out.result(RockerResult.failure(RockerError.PARAM_INVALID, "bad request: " + e.getMessage()));
        }
        return null;
    }
}
