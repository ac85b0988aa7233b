package rocker.client.remote;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/** The client's JDK socket: ticks, wake-ups, a full backlog, descriptors. */
public class UnixTransportTest {
    private Path dir;
    private Path socket;
    private ServerSocketChannel listener;
    private final List<SocketChannel> opened = new ArrayList<>();

    @Before
    public void listen() throws IOException {
        dir = Files.createTempDirectory("rocker-transport");
        socket = dir.resolve("s.sock");
    }

    private void bind(int backlog) throws IOException {
        listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        listener.bind(UnixDomainSocketAddress.of(socket), backlog);
    }

    @After
    public void close() throws IOException {
        for (SocketChannel c : opened) {
            c.close();
        }
        if (listener != null) {
            listener.close();
        }
        Files.deleteIfExists(socket);
        Files.deleteIfExists(dir.resolve("file"));
        Files.deleteIfExists(dir);
    }

    private UnixTransport connect(int tickMillis) throws IOException {
        return new UnixTransport(UnixTransport.connect(UnixTransport.open(), socket, Duration.ofSeconds(5), UnixTransport::open), tickMillis);
    }

    @Test
    public void aReadWaitsOneTickThenDeliversWhatCame() throws Exception {
        bind(8);
        try (UnixTransport t = connect(100); SocketChannel peer = listener.accept()) {
            ByteBuffer b = ByteBuffer.allocate(4);
            long t0 = System.nanoTime();
            assertEquals(0, t.read(b));
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue("waited " + waited + " ms", waited >= 90 && waited < 2000);
            peer.write(ByteBuffer.wrap(new byte[] {1, 2}));
            int n = 0;
            for (int i = 0; i < 20 && n == 0; i++) {
                n = t.read(b);
            }
            assertEquals(2, n);
            assertEquals(2, t.write(ByteBuffer.wrap(new byte[] {3, 4})));
            ByteBuffer p = ByteBuffer.allocate(2);
            while (p.hasRemaining()) {
                peer.read(p);
            }
            peer.close();
            assertEquals(-1, t.read(b));
        }
    }

    @Test
    public void shuttingTheInputDownWakesAReader() throws Exception {
        bind(8);
        try (UnixTransport t = connect(60_000); SocketChannel peer = listener.accept()) {
            int[] got = {Integer.MIN_VALUE};
            Thread reader = new Thread(() -> {
                try {
                    got[0] = t.read(ByteBuffer.allocate(4));
                } catch (IOException e) {
                    got[0] = -2;
                }
            });
            reader.start();
            Thread.sleep(200);
            long t0 = System.nanoTime();
            t.shutdownInput();
            reader.join(5000);
            assertEquals(-1, got[0]);
            assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) < 5000);
        }
    }

    @Test
    public void aFullBacklogIsWaitedForUntilTheTimeout() throws Exception {
        bind(1);
        // fill the backlog: the kernel says EAGAIN to a non-blocking connect then
        for (int i = 0; i < 64; i++) {
            SocketChannel c = UnixTransport.open();
            opened.add(c);
            c.configureBlocking(false);
            try {
                c.connect(UnixDomainSocketAddress.of(socket));
            } catch (SocketException full) {
                break;
            }
        }
        long t0 = System.nanoTime();
        try {
            UnixTransport.connect(UnixTransport.open(), socket, Duration.ofMillis(300), UnixTransport::open);
            fail("connected to a full backlog");
        } catch (SocketException e) {
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue("waited " + waited + " ms: " + e, waited >= 250 && waited < 5000);
        }
        // room comes: the connect that waits gets through
        Thread acceptor = new Thread(() -> {
            try {
                Thread.sleep(200);
                listener.accept().close();
            } catch (IOException | InterruptedException ignored) {
                // test ends
            }
        });
        acceptor.start();
        try (SocketChannel c = UnixTransport.connect(UnixTransport.open(), socket, Duration.ofSeconds(10), UnixTransport::open)) {
            assertTrue(c.isConnected());
        }
        acceptor.join();
    }

    @Test
    public void whatIsNoListenerFailsAtOnce() throws Exception {
        Files.createFile(dir.resolve("file"));
        for (Path p : List.of(dir.resolve("absent.sock"), dir.resolve("file"), dir)) {
            long t0 = System.nanoTime();
            try {
                UnixTransport.connect(UnixTransport.open(), p, Duration.ofSeconds(10), UnixTransport::open);
                fail("connected to " + p);
            } catch (SocketException e) {
                assertTrue(p + ": " + e, p.endsWith("absent.sock") ? e.getMessage().equals("No such file or directory")
                        : e instanceof ConnectException && e.getMessage().equals("Connection refused"));
            }
            assertTrue(p + " took too long", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) < 2000);
        }
    }

    @Test
    public void closingReleasesTheDescriptors() throws Exception {
        bind(8);
        Set<String> before = null;
        // the first round opens what the JDK keeps for good (e.g. NIO's own descriptors): noted after it
        for (int i = 0; i < 21; i++) {
            if (i == 1) {
                before = ioFds();
            }
            try (UnixTransport t = connect(10); SocketChannel peer = listener.accept()) {
                t.read(ByteBuffer.allocate(1)); // opens the read selector
                ByteBuffer big = ByteBuffer.allocate(1 << 22);
                while (big.hasRemaining() && t.write(big) > 0) {
                    // until the socket buffer is full: opens the write selector
                }
            }
        }
        Set<String> left = ioFds();
        left.removeAll(before);
        // other threads of this JVM may close descriptors meanwhile (a count would see those): only what is new counts
        assertEquals("sockets, selectors and pipes opened by the rounds and still open", Set.of(), left);
    }

    /**
     * The open sockets, epoll and event descriptors and pipes (what a transport opens), each as
     * "number -> target": a descriptor closed and its number reused for another socket is a new entry.
     */
    private static Set<String> ioFds() throws IOException {
        Set<String> fds = new TreeSet<>();
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) s::iterator) {
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (IOException e) {
                    continue; // closed meanwhile (the listing's own descriptor among them)
                }
                if (target.startsWith("socket:") || target.startsWith("anon_inode:") || target.startsWith("pipe:")) {
                    fds.add(fd.getFileName() + " -> " + target);
                }
            }
        }
        return fds;
    }
}
