package rocker.server.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;

import rocker.api.RockerInfo;
import rocker.api.RockerResult;
import rocker.server.protocol.Deadline;
import rocker.server.protocol.FrameChannel;
import rocker.server.protocol.Protocol;
import rocker.server.protocol.ReplyCodec;

/** Sends response frames to one client, each bounded by the write timeout. */
final class Responder {
    private final FrameChannel channel;
    private final Duration writeTimeout;

    Responder(FrameChannel channel, Duration writeTimeout) {
        this.channel = channel;
        this.writeTimeout = writeTimeout;
    }

    void result(RockerResult r) throws IOException {
        send(Protocol.RESULT, ReplyCodec.result(r));
    }

    void infos(List<RockerInfo> infos) throws IOException {
        send(Protocol.INFOS, ReplyCodec.infos(infos));
    }

    void exit(OptionalInt status) throws IOException {
        send(Protocol.EXIT, ReplyCodec.exit(status));
    }

    void send(byte type, ByteBuffer body) throws IOException {
        channel.write(type, body, Deadline.in(writeTimeout));
    }

    /** Waits up to one tick and tells whether the client has gone. */
    boolean clientGone() {
        return channel.peerGone();
    }
}
