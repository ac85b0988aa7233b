package rocker.client.remote;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;

import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.client.protocol.Call;
import rocker.client.protocol.CallCodec;
import rocker.client.protocol.Deadline;
import rocker.client.protocol.Frame;
import rocker.client.protocol.FrameChannel;
import rocker.client.protocol.Protocol;
import rocker.client.protocol.ReplyCodec;

/**
 * The client's end of one connection to a Rocker server. Every failure is a {@link RockerException}
 * with the seed's code: {@code server_unaddr_invalid} for a socket path that is unusable or where no
 * server answers, {@code gen_local_addr_failed} when the client's own socket cannot be made,
 * {@code send_req_failed} when the request cannot be sent and {@code recv_resp_failed} when no valid
 * response comes back.
 *
 * <p>Requests go out in the connection's protocol version, {@link Protocol#VERSION} unless told
 * otherwise. A server that does not speak it (an older server answers "protocol version 2 is not
 * supported") gets the request again in version 1 on a new connection; {@link #version()} then tells
 * the version in which the replies come. A request that version 1 cannot carry (an ENTER with devices,
 * shared dirs, seccomp or limits other than the default; a STATS) is never sent in version 1, neither from the start nor as a fall-back: that
 * is a {@code param_invalid} naming the field, not a rocker without it.
 */
public final class ClientConnection implements Closeable {
    /** Longest socket path: sun_path holds 108 bytes including the terminating NUL. */
    public static final int MAX_PATH_BYTES = 107;
    private static final int TICK_MILLIS = 200;

    private final String socketPath;
    private final Duration connectTimeout;
    private volatile FrameChannel channel;
    private volatile int version;

    private ClientConnection(String socketPath, Duration connectTimeout, int version) {
        this.socketPath = socketPath;
        this.connectTimeout = connectTimeout;
        this.version = version;
    }

    /** Connects to the server at {@code socketPath}, waiting at most {@code connectTimeout}, to talk {@link Protocol#VERSION}. */
    public static ClientConnection open(String socketPath, Duration connectTimeout) {
        return open(socketPath, connectTimeout, Protocol.VERSION);
    }

    /**
     * Connects to the server at {@code socketPath}, waiting at most {@code connectTimeout}, to talk
     * protocol {@code version}.
     *
     * @throws IllegalArgumentException for a version this side does not speak
     */
    public static ClientConnection open(String socketPath, Duration connectTimeout, int version) {
        ClientConnection c = new ClientConnection(socketPath, connectTimeout, Protocol.checkVersion(version));
        c.channel = connect(checkPath(socketPath), socketPath, connectTimeout);
        return c;
    }

    /**
     * A connected socket ({@link UnixTransport}: the JDK's Unix sockets, no native library). A full
     * backlog is waited for, at most {@code connectTimeout}.
     */
    private static FrameChannel connect(Path path, String socketPath, Duration connectTimeout) {
        SocketChannel ch;
        try {
            ch = UnixTransport.open();
        } catch (IOException | RuntimeException | LinkageError e) {
            throw new RockerException(RockerError.GEN_LOCAL_ADDR_FAILED, "cannot create a Unix socket: " + e.getMessage(), e);
        }
        try {
            ch = UnixTransport.connect(ch, path, connectTimeout, UnixTransport::open);
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch);
            String hint = Files.exists(path, LinkOption.NOFOLLOW_LINKS) ? "" : " (no socket there: is 'rocker serve' running?)";
            throw new RockerException(RockerError.SERVER_UNADDR_INVALID,
                    "cannot connect to " + socketPath + ": " + e.getMessage() + hint, e);
        }
        try {
            return new FrameChannel(new UnixTransport(ch, TICK_MILLIS));
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch);
            throw new RockerException(RockerError.SERVER_UNADDR_INVALID, "cannot connect to " + socketPath + ": " + e.getMessage(), e);
        }
    }

    /** The protocol version of this connection's request and replies. */
    public int version() {
        return version;
    }

    /**
     * Sends {@code call} and reads the first response frame; a server that refuses this connection's
     * version gets the call again in version 1, on a new connection, unless version 1 cannot carry it.
     *
     * @throws RockerException {@code param_invalid} for a call that version 1 cannot carry, when this
     *         connection speaks version 1 or the server speaks only version 1
     */
    public Frame call(Call call, Duration responseTimeout) {
        String unfit = CallCodec.unfit(call, version);
        if (unfit != null) {
            throw new RockerException(RockerError.PARAM_INVALID, unfit + " (this connection speaks version 1)");
        }
        Frame reply = send(call, responseTimeout);
        if (version != Protocol.V1 && ReplyCodec.refusesVersion(reply, version)) {
            unfit = CallCodec.unfit(call, Protocol.V1);
            if (unfit != null) {
                throw new RockerException(RockerError.PARAM_INVALID, unfit + ", and the server at " + socketPath
                        + " speaks only version 1: the request is not sent without it (upgrade the server)");
            }
            closeQuietly(channel);
            channel = connect(checkPath(socketPath), socketPath, connectTimeout);
            version = Protocol.V1;
            reply = send(call, responseTimeout);
        }
        return reply;
    }

    private Frame send(Call call, Duration responseTimeout) {
        try {
            channel.write(CallCodec.type(call), CallCodec.encode(call, version), Deadline.in(responseTimeout));
        } catch (IOException e) {
            Frame early = earlyReply();
            if (early != null) {
                return early;
            }
            throw new RockerException(RockerError.SEND_REQ_FAILED, "cannot send the request: " + e.getMessage(), e);
        }
        return next(Deadline.in(responseTimeout));
    }

    /**
     * Sends one more request on this connection without reading (a WATCH on a watch connection); version
     * 2 only.
     */
    public void sendMore(Call call, Duration timeout) {
        try {
            channel.write(CallCodec.type(call), CallCodec.encode(call, version), Deadline.in(timeout));
        } catch (IOException | IllegalArgumentException e) {
            throw new RockerException(RockerError.SEND_REQ_FAILED, "cannot send the request: " + e.getMessage(), e);
        }
    }

    /** Reads the next response frame. */
    public Frame next(Deadline deadline) {
        try {
            return channel.read(Protocol.MAX_RESPONSE_BYTES, deadline);
        } catch (IOException e) {
            throw new RockerException(RockerError.RECV_RESP_FAILED, "no valid response from the server: " + e.getMessage(), e);
        }
    }

    /** Wakes a thread blocked on this connection. */
    public void shutdown() {
        channel.shutdown();
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    /** The server may have answered (e.g. "frame too large") before the request was fully sent. */
    private Frame earlyReply() {
        try {
            Frame f = channel.read(Protocol.MAX_RESPONSE_BYTES, Deadline.in(Duration.ofSeconds(1)));
            return f.type() == Protocol.RESULT ? f : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static Path checkPath(String socketPath) {
        if (socketPath == null || socketPath.isEmpty()) {
            throw new RockerException(RockerError.SERVER_UNADDR_INVALID, "the socket path is empty");
        }
        if (socketPath.indexOf('\0') >= 0) {
            throw new RockerException(RockerError.SERVER_UNADDR_INVALID, "the socket path contains NUL");
        }
        if (socketPath.getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
            throw new RockerException(RockerError.SERVER_UNADDR_INVALID,
                    "the socket path is longer than " + MAX_PATH_BYTES + " bytes: " + socketPath);
        }
        try {
            return Path.of(socketPath);
        } catch (RuntimeException e) {
            throw new RockerException(RockerError.SERVER_UNADDR_INVALID, "the socket path is not valid: " + e.getMessage());
        }
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // nothing left to do
        }
    }
}
