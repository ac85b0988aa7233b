package rocker.client.remote;

import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;

import rocker.client.protocol.SocketTransport;

/**
 * A Unix stream socket of the JDK ({@code SocketChannel}, {@code UnixDomainSocketAddress}) as a
 * {@link rocker.client.protocol.FrameChannel.Transport}: the channel is non-blocking, and a read or write that finds no data
 * or no room waits for it at most one tick on a selector of its own (one for reading, one for writing,
 * opened when first needed). The client needs nothing else from the socket (no peer credentials, no
 * descriptor passing), so it runs without a native library and loads no more than the JDK's NIO.
 */
public final class UnixTransport extends SocketTransport {
    /** How long a connect that finds the server's backlog full waits before it tries again. */
    private static final long BUSY_RETRY_MILLIS = 10;

    private final long tickMillis;
    private final Object readLock = new Object();
    private final Object writeLock = new Object();
    private final Object selectorLock = new Object();
    private Selector readSelector;
    private Selector writeSelector;
    private boolean closed;

    /** Wraps a connected channel (made non-blocking here) whose reads and writes then wait at most {@code tickMillis}. */
    public UnixTransport(SocketChannel channel, int tickMillis) throws IOException {
        super(channel);
        this.tickMillis = Math.max(1, tickMillis);
        channel.configureBlocking(false);
    }

    /** A new, unconnected Unix stream socket. */
    public static SocketChannel open() throws IOException {
        return SocketChannel.open(StandardProtocolFamily.UNIX);
    }

    /**
     * Connects {@code channel} to {@code path}, waiting at most {@code timeout}; when the server's
     * backlog is full ({@code EAGAIN}) it tries again, on a new socket from {@code sockets}, until the
     * timeout. Returns the connected channel (the one given, or a later one); every other channel it
     * made is closed, and so is the last one when it fails.
     */
    public static SocketChannel connect(SocketChannel channel, Path path, Duration timeout, SocketSource sockets) throws IOException {
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(path);
        long end = System.nanoTime() + Math.max(0, timeout.toNanos());
        SocketChannel ch = channel;
        while (true) {
            try {
                ch.configureBlocking(false);
                if (ch.connect(address) || awaitConnect(ch, end)) {
                    return ch;
                }
                throw new SocketTimeoutException("connect timed out");
            } catch (IOException e) {
                closeQuietly(ch);
                if (!busy(e, path) || System.nanoTime() - end >= 0) {
                    throw e;
                }
            }
            sleep(Math.min(BUSY_RETRY_MILLIS, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
            ch = sockets.open();
        }
    }

    /** Where {@link #connect} gets a new socket when it tries again. */
    @FunctionalInterface
    public interface SocketSource {
        SocketChannel open() throws IOException;
    }

    /**
     * Whether a failed connect means "busy": the kernel says {@code EAGAIN} when the listener's backlog is
     * full (a blocking connect would wait), which the JDK reports as a plain {@code SocketException}; the
     * other failures (no such file: also a plain one; refused, not a socket: {@code ConnectException};
     * permission: {@code BindException}) are final. A plain one while a socket file is there is the busy one.
     */
    private static boolean busy(IOException e, Path path) {
        return e.getClass() == SocketException.class && isSocket(path);
    }

    /** Whether {@code path} (links followed, as connect does) is neither a file, a dir nor a link: a socket. */
    private static boolean isSocket(Path path) {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class).isOther();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** A connect that is in progress (not seen on Unix sockets, which connect at once or fail). */
    private static boolean awaitConnect(SocketChannel ch, long end) throws IOException {
        try (Selector s = Selector.open()) {
            ch.register(s, SelectionKey.OP_CONNECT);
            while (true) {
                if (ch.finishConnect()) {
                    return true;
                }
                long left = (end - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    return false;
                }
                s.select(left);
                s.selectedKeys().clear();
            }
        }
    }

    private static void sleep(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SocketException("interrupted while connecting");
        }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        synchronized (readLock) {
            int n = channel.read(dst);
            if (n != 0 || !dst.hasRemaining()) {
                return n;
            }
            await(SelectionKey.OP_READ);
            return channel.read(dst);
        }
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        synchronized (writeLock) {
            int n = channel.write(src);
            if (n != 0 || !src.hasRemaining()) {
                return n;
            }
            await(SelectionKey.OP_WRITE);
            return channel.write(src);
        }
    }

    /** Waits at most one tick until the channel is ready for {@code op}. */
    private void await(int op) throws IOException {
        Selector s = selector(op);
        try {
            s.select(tickMillis);
            s.selectedKeys().clear();
        } catch (ClosedSelectorException e) {
            throw new AsynchronousCloseException();
        }
    }

    private Selector selector(int op) throws IOException {
        synchronized (selectorLock) {
            if (closed) {
                throw new AsynchronousCloseException();
            }
            Selector s = op == SelectionKey.OP_READ ? readSelector : writeSelector;
            if (s == null) {
                s = Selector.open();
                try {
                    channel.register(s, op);
                } catch (IOException | RuntimeException e) {
                    s.close();
                    throw e;
                }
                if (op == SelectionKey.OP_READ) {
                    readSelector = s;
                } else {
                    writeSelector = s;
                }
            }
            return s;
        }
    }

    /** Closes the channel and its selectors (a channel registered with a selector keeps its descriptor until then). */
    @Override
    public void close() throws IOException {
        Selector r;
        Selector w;
        synchronized (selectorLock) {
            closed = true;
            r = readSelector;
            w = writeSelector;
            readSelector = null;
            writeSelector = null;
        }
        try {
            channel.close();
        } finally {
            closeQuietly(r);
            closeQuietly(w);
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (IOException ignored) {
            // nothing left to do
        }
    }
}
