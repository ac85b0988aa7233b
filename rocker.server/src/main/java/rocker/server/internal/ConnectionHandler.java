package rocker.server.internal;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jnr.unixsocket.Credentials;
import rocker.api.RockerError;
import rocker.api.RockerResult;
import rocker.server.protocol.Call;
import rocker.server.protocol.CallCodec;
import rocker.server.protocol.Deadline;
import rocker.server.protocol.Frame;
import rocker.server.protocol.FrameChannel;
import rocker.server.protocol.ProtocolException;

/**
 * Serves one connection on its own thread: reads the single request frame within the request timeout,
 * decodes it and hands it to the {@link CallDispatcher}. Garbage, oversized frames and timeouts get an
 * error RESULT; a client that disconnects is just dropped. The channel is always closed here, by the
 * thread that uses it.
 */
final class ConnectionHandler implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionHandler.class);

    private final FrameChannel channel;
    private final CallDispatcher dispatcher;
    private final ConnectionPermits permits;
    private final int maxRequestBytes;
    private final Duration requestTimeout;
    private final Duration writeTimeout;
    private final Runnable onEnd;

    ConnectionHandler(FrameChannel channel, CallDispatcher dispatcher, ConnectionPermits permits,
            ServerSettings settings, Runnable onEnd) {
        this.channel = channel;
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

    @Override
    public void run() {
        Peer peer = null;
        try {
            Credentials c = channel.peerCredentials();
            peer = new Peer(c.getPid(), c.getUid(), c.getGid());
            Responder out = new Responder(channel, writeTimeout);
            Call call = readCall(peer, out);
            if (call != null) {
                dispatcher.dispatch(call, peer, out, permits::toStreaming);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            LOG.debug("connection of {} ended: {}", peer, e.toString());
        } finally {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing left to do
            }
            permits.release();
            onEnd.run();
        }
    }

    private Call readCall(Peer peer, Responder out) throws IOException {
        try {
            Frame frame = channel.read(maxRequestBytes, Deadline.in(requestTimeout));
            return CallCodec.decode(frame);
        } catch (EOFException e) {
            LOG.debug("{}: {}", peer, e.getMessage());
        } catch (SocketTimeoutException e) {
            LOG.warn("{}: dropped, {} (limit {} ms)", peer, e.getMessage(), requestTimeout.toMillis());
            out.result(RockerResult.failure(RockerError.SEND_REQ_FAILED,
                    "the server did not receive a whole request within " + requestTimeout.toMillis() + " ms"));
        } catch (ProtocolException e) {
            LOG.warn("{}: bad request: {}", peer, e.getMessage());
            out.result(RockerResult.failure(RockerError.PARAM_INVALID, "bad request: " + e.getMessage()));
        }
        return null;
    }
}
