package rocker.client.protocol;

import org.osgi.annotation.versioning.ProviderType;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * A connected {@link SocketChannel} as a {@link FrameChannel.Transport}: reads and writes go straight
 * to the channel, so they wait as long as the channel does (a blocking channel with kernel timeouts of
 * one tick, as the server's; or a blocking one, for a peer that never times out). Subclasses wait
 * their own way (the client's selector ticks).
 *
 * @since 1.1
 */
@ProviderType
public class SocketTransport implements FrameChannel.Transport {
    /** The channel read, written, shut down and closed. */
    protected final SocketChannel channel;

    public SocketTransport(SocketChannel channel) {
        this.channel = channel;
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
