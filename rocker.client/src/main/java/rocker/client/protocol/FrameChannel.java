package rocker.client.protocol;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Reads and writes {@link Frame}s on a connected stream socket, each operation bounded by a
 * {@link Deadline}.
 *
 * <p>The socket is a {@link Transport} whose reads and writes wait at most one short "tick" each (the
 * server's: kernel timeouts {@code SO_RCVTIMEO}/{@code SO_SNDTIMEO} on a blocking socket; the client's: a
 * non-blocking JDK channel and a selector), so a blocked read or write wakes up every tick to check its
 * deadline: a slow or silent peer can hold a connection no longer than the deadline allows, and no
 * other thread ever needs to close this socket. Writes are serialized, so several threads may send
 * frames on one channel. This class uses only the JDK: the client needs no native library.
 */
@ProviderType
public final class FrameChannel implements Closeable {
    private static final int MAX_IO_BYTES = 64 * 1024;

    /**
     * A connected stream socket whose reads and writes each wait at most one tick.
     */
    @ProviderType
    public interface Transport extends Closeable {
        /**
         * Reads into {@code dst}, waiting at most one tick for data.
         *
         * @return the bytes read, 0 when none came within the tick, -1 at the end of the stream
         */
        int read(ByteBuffer dst) throws IOException;

        /**
         * Writes from {@code src}, waiting at most one tick for room.
         *
         * @return the bytes written, 0 when there was no room within the tick
         */
        int write(ByteBuffer src) throws IOException;

        /** Shuts the reading side down: a blocked or later read sees the end of the stream. */
        void shutdownInput() throws IOException;

        /** Shuts the writing side down. */
        void shutdownOutput() throws IOException;
    }

    private final Transport channel;
    private final Object writeLock = new Object();
    private final Object lifeLock = new Object();
    private boolean closed;

    /** Frames over {@code channel}, a connected socket whose reads and writes wait at most one tick. */
    public FrameChannel(Transport channel) {
        this.channel = channel;
    }

    /**
     * Reads one frame of at most {@code maxLength} bytes (type byte included).
     *
     * @throws EOFException when the peer closed the connection (before or inside a frame)
     * @throws FrameTooLargeException when the header announces more than {@code maxLength}
     * @throws ProtocolException when the header announces an empty frame
     * @throws SocketTimeoutException when the deadline passed first
     */
    public Frame read(int maxLength, Deadline deadline) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(Protocol.LENGTH_BYTES);
        readFully(header, deadline, true);
        long length = Integer.toUnsignedLong(header.flip().getInt());
        if (length == 0) {
            throw new ProtocolException("empty frame (length 0)");
        }
        if (length > maxLength) {
            throw new FrameTooLargeException(length, maxLength);
        }
        ByteBuffer payload = ByteBuffer.allocate((int) length);
        readFully(payload, deadline, false);
        payload.flip();
        byte type = payload.get();
        return new Frame(type, payload.slice());
    }

    /** Writes one frame: length, type, body. */
    public void write(byte type, ByteBuffer body, Deadline deadline) throws IOException {
        ByteBuffer frame = ByteBuffer.allocate(Protocol.LENGTH_BYTES + 1 + body.remaining());
        frame.putInt(1 + body.remaining()).put(type).put(body.duplicate()).flip();
        synchronized (writeLock) {
            while (frame.hasRemaining()) {
                ByteBuffer part = frame.slice();
                part.limit(Math.min(part.remaining(), MAX_IO_BYTES));
                int n = channel.write(part);
                if (n > 0) {
                    frame.position(frame.position() + n);
                } else if (deadline.expired()) {
                    throw new SocketTimeoutException("peer did not take the data in time");
                }
            }
        }
    }

    /**
     * Waits at most one tick for input and tells whether the peer has gone: true on end of stream or
     * an error, and also when the peer sent bytes it should not have sent.
     */
    public boolean peerGone() {
        try {
            return channel.read(ByteBuffer.allocate(1)) != 0;
        } catch (IOException e) {
            return true;
        }
    }

    /**
     * Shuts both directions down (wakes a thread blocked on this socket) without closing the fd; does
     * nothing once the channel is closed, so it never touches a reused fd.
     */
    public void shutdown() {
        synchronized (lifeLock) {
            if (!closed) {
                shutdownBoth();
            }
        }
    }

    private void shutdownBoth() {
        try {
            channel.shutdownInput();
        } catch (IOException | RuntimeException ignored) {
            // already shut down or closed
        }
        try {
            channel.shutdownOutput();
        } catch (IOException | RuntimeException ignored) {
            // already shut down or closed
        }
    }

    @Override
    public void close() throws IOException {
        synchronized (lifeLock) {
            if (!closed) {
                closed = true;
                channel.close();
            }
        }
    }

    private void readFully(ByteBuffer dst, Deadline deadline, boolean frameStart) throws IOException {
        boolean started = !frameStart;
        while (dst.hasRemaining()) {
            ByteBuffer part = dst.slice();
            part.limit(Math.min(part.remaining(), MAX_IO_BYTES));
            int n = channel.read(part);
            if (n < 0) {
                throw new EOFException(started ? "connection closed inside a frame" : "connection closed");
            }
            if (n > 0) {
                dst.position(dst.position() + n);
                started = true;
            } else if (deadline.expired()) {
                throw new SocketTimeoutException(started ? "frame not complete in time" : "no frame in time");
            }
        }
    }
}
