package rocker.server.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;

import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;
import rocker.api.RockerResult;
import rocker.server.protocol.Deadline;
import rocker.server.protocol.Frame;
import rocker.server.protocol.FrameChannel;
import rocker.server.protocol.Protocol;
import rocker.server.protocol.ReplyCodec;

/** A client that sends whatever bytes a test wants, to abuse the server. */
public final class RawClient implements AutoCloseable {
    private final UnixSocketChannel channel;
    private final FrameChannel frames;

    public RawClient(Path socket) throws IOException {
        channel = UnixSocketChannel.open(new UnixSocketAddress(socket.toFile()));
        frames = new FrameChannel(channel, 100);
    }

    public RawClient send(byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            channel.write(b);
        }
        return this;
    }

    /** The next frame, waiting up to 20 s. */
    public Frame read() throws IOException {
        return frames.read(Protocol.MAX_RESPONSE_BYTES, Deadline.in(Duration.ofSeconds(20)));
    }

    /** The next frame as a RESULT, in either protocol version's layout. */
    public RockerResult readResult() throws IOException {
        return ReplyCodec.result(read());
    }

    /** A frame: length, type, body. */
    public static byte[] frame(byte type, ByteBuffer body) {
        ByteBuffer b = ByteBuffer.allocate(5 + body.remaining());
        b.putInt(1 + body.remaining()).put(type).put(body);
        return b.array();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
