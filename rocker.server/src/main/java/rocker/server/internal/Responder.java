package rocker.server.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;

import rocker.api.PreparedRocker;
import rocker.api.RockerInfo;
import rocker.api.RockerResult;
import rocker.api.RockerStats;
import rocker.client.protocol.Deadline;
import rocker.client.protocol.Frame;
import rocker.client.protocol.FrameChannel;
import rocker.client.protocol.Protocol;
import rocker.client.protocol.ReplyCodec;

/**
 * Sends response frames to one client in the protocol version of its request (version 1 until the
 * version is known), each bounded by the write timeout.
 */
final class Responder {
    private final FrameChannel channel;
    private final Duration writeTimeout;
    private final int version;

    /** A responder in version 1, for replies before the request's version is known. */
    Responder(FrameChannel channel, Duration writeTimeout) {
        this(channel, writeTimeout, Protocol.V1);
    }

    Responder(FrameChannel channel, Duration writeTimeout, int version) {
        this.channel = channel;
        this.writeTimeout = writeTimeout;
        this.version = Protocol.checkVersion(version);
    }

    /** A responder on the same connection that answers in {@code version}. */
    Responder inVersion(int version) {
        return version == this.version ? this : new Responder(channel, writeTimeout, version);
    }

    int version() {
        return version;
    }

    void result(RockerResult r) throws IOException {
        send(Protocol.RESULT, ReplyCodec.result(r, version));
    }

    void infos(List<RockerInfo> infos) throws IOException {
        send(Protocol.INFOS, ReplyCodec.infos(infos, version));
    }

    /** A STATS reply (version 2 only: the request STATS exists only in version 2). */
    void stats(RockerStats stats) throws IOException {
        send(Protocol.STATS_REPLY, ReplyCodec.stats(stats, version));
    }

    /** PREPARE's RESULT (version 2 only), with {@code errno} when not 0. */
    void prepared(PreparedRocker p, int errno) throws IOException {
        send(Protocol.RESULT, ReplyCodec.prepared(p, errno));
    }

    /** The next request frame on this connection (STARTED after PREPARE), within {@code timeout}. */
    Frame receive(int maxBytes, Duration timeout) throws IOException {
        return channel.read(maxBytes, Deadline.in(timeout));
    }

    void exit(OptionalInt status) throws IOException {
        send(Protocol.EXIT, ReplyCodec.exit(status, version));
    }

    void send(byte type, ByteBuffer body) throws IOException {
        channel.write(type, body, Deadline.in(writeTimeout));
    }

    /** Ends the connection: a blocked read sees its end (the handler's thread then closes it). */
    void shutdown() {
        channel.shutdown();
    }

    /** Waits up to one tick and tells whether the client has gone. */
    boolean clientGone() {
        return channel.peerGone();
    }
}
