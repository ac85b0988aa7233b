package rocker.server.internal;

import java.io.IOException;

import jnr.unixsocket.UnixSocketChannel;
import rocker.client.protocol.FrameChannel;
import rocker.client.protocol.SocketTransport;

/**
 * A connection the server accepted (jnr-unixsocket: the server needs the peer's credentials with its pid,
 * {@code SO_PEERCRED}, and the descriptor for {@link PeerProcess}) as a {@link FrameChannel.Transport}:
 * a blocking socket with kernel timeouts ({@code SO_RCVTIMEO}/{@code SO_SNDTIMEO}) of one tick, so a
 * read or write that gets nothing within the tick returns 0.
 */
final class JnrTransport extends SocketTransport {
    private final UnixSocketChannel unix;

    /** Wraps a connected channel and sets its kernel timeouts to {@code tickMillis}. */
    JnrTransport(UnixSocketChannel channel, int tickMillis) throws IOException {
        super(channel);
        this.unix = channel;
        SocketOptions.setTimeouts(channel.getFD(), tickMillis);
    }

    /** The socket's file descriptor. */
    int fd() {
        return unix.getFD();
    }

    /** The peer's pid, uid and gid as the kernel saw them at connect time ({@code SO_PEERCRED}). */
    SocketOptions.Ucred peerCredentials() throws IOException {
        return SocketOptions.peerCred(unix.getFD());
    }
}
