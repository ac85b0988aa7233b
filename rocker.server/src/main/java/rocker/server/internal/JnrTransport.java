package rocker.server.internal;

import java.io.IOException;
import java.nio.ByteBuffer;

import jnr.unixsocket.Credentials;
import jnr.unixsocket.UnixSocketChannel;
import jnr.unixsocket.UnixSocketOptions;
import rocker.client.protocol.FrameChannel;

/**
 * A connection the server accepted (jnr-unixsocket: the server needs the peer's credentials with its pid,
 * {@code SO_PEERCRED}, and the descriptor for {@link PeerProcess}) as a {@link FrameChannel.Transport}:
 * a blocking socket with kernel timeouts ({@code SO_RCVTIMEO}/{@code SO_SNDTIMEO}) of one tick, so a
 * read or write that gets nothing within the tick returns 0.
 */
final class JnrTransport implements FrameChannel.Transport {
    private final UnixSocketChannel channel;

    /** Wraps a connected channel and sets its kernel timeouts to {@code tickMillis}. */
    JnrTransport(UnixSocketChannel channel, int tickMillis) throws IOException {
        this.channel = channel;
        channel.setOption(UnixSocketOptions.SO_RCVTIMEO, tickMillis);
        channel.setOption(UnixSocketOptions.SO_SNDTIMEO, tickMillis);
    }

    /** The socket's file descriptor. */
    int fd() {
        return channel.getFD();
    }

    /** The peer's pid, uid and gid as the kernel saw them at connect time ({@code SO_PEERCRED}). */
    Credentials peerCredentials() throws IOException {
        return channel.getOption(UnixSocketOptions.SO_PEERCRED);
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return channel.read(dst);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return channel.write(src);
    }

    @Override
    public void shutdownInput() throws IOException {
        channel.shutdownInput();
    }

    @Override
    public void shutdownOutput() throws IOException {
        channel.shutdownOutput();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
