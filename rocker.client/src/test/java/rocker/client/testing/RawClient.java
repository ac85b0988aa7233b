package rocker.client.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;

import rocker.api.RockerResult;
import rocker.client.protocol.Deadline;
import rocker.client.protocol.Frame;
import rocker.client.protocol.FrameChannel;
import rocker.client.protocol.Protocol;
import rocker.client.protocol.ReplyCodec;
import rocker.client.remote.UnixTransport;

/** A client that sends whatever bytes a test wants, to abuse the server. */
public final class RawClient implements AutoCloseable {
    private final UnixTransport channel;
    private final FrameChannel frames;

    public RawClient(Path socket) throws IOException {
        channel = new UnixTransport(UnixTransport.connect(UnixTransport.open(), socket, Duration.ofSeconds(10), UnixTransport::open), 100);
        frames = new FrameChannel(channel);
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
