package rocker.server.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.Test;

import jnr.unixsocket.UnixServerSocketChannel;
import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;

/** The server's own socket options on a real connection of this process to itself. */
public class SocketOptionsTest {

    /** What the server gets of a connection from this process, and the timeouts it sets on it. */
    @Test
    public void credentialsPidfdAndTimeoutsOfARealConnection() throws Exception {
        Path dir = Files.createTempDirectory("socket-options");
        Path sock = dir.resolve("s.sock");
        try (UnixServerSocketChannel server = UnixServerSocketChannel.open()) {
            server.socket().bind(new UnixSocketAddress(sock.toFile()));
            try (UnixSocketChannel client = UnixSocketChannel.open(new UnixSocketAddress(sock.toFile()));
                    UnixSocketChannel accepted = server.accept()) {
                int fd = accepted.getFD();
                SocketOptions.Ucred c = SocketOptions.peerCred(fd);
                assertEquals(ProcessHandle.current().pid(), c.pid());
                assertEquals(Integer.parseInt(status("Uid").split("\\s+")[1]), c.uid()); // effective uid
                assertEquals(Integer.parseInt(status("Gid").split("\\s+")[1]), c.gid());

                int pidfd = SocketOptions.peerPidfd(fd);
                if (pidfd != -SocketOptions.ENOPROTOOPT) { // Linux 6.5+
                    assertTrue("a pidfd: " + pidfd, pidfd >= 0);
                    try {
                        List<String> ids = PeerProcess.nspid(PeerProcess.procPath("/proc/self/fdinfo/", pidfd, ""));
                        assertEquals("the pidfd is this process's", List.of(Long.toString(ProcessHandle.current().pid())), ids);
                    } finally {
                        jnr.ffi.LibraryLoader.create(PeerProcess.LibC.class).load("c").close(pidfd);
                    }
                }

                SocketOptions.setTimeouts(fd, 200);
                assertEquals(200, SocketOptions.timeoutMillis(fd, 0));
                assertEquals(200, SocketOptions.timeoutMillis(fd, 1));
                // what the kernel took: a read that finds nothing returns after the tick (0 bytes), it does not block
                java.util.concurrent.ExecutorService reader = java.util.concurrent.Executors.newSingleThreadExecutor();
                try {
                    java.util.concurrent.Future<Integer> read = reader.submit(() -> accepted.read(java.nio.ByteBuffer.allocate(8)));
                    assertEquals("nothing read, within the timeout", 0, (int) read.get(10, java.util.concurrent.TimeUnit.SECONDS));
                } finally {
                    reader.shutdownNow();
                }
                SocketOptions.setTimeouts(fd, 2500);
                assertEquals(2500, SocketOptions.timeoutMillis(fd, 0));
                assertEquals(2500, SocketOptions.timeoutMillis(fd, 1));
            }
        } finally {
            Files.deleteIfExists(sock);
            Files.delete(dir);
        }
    }

    @Test
    public void aDescriptorThatIsNoSocketIsAnIOExceptionNamingTheOption() throws Exception {
        try {
            SocketOptions.peerCred(Integer.MAX_VALUE);
            fail("credentials of no socket");
        } catch (IOException e) {
            assertTrue(e.getMessage(), e.getMessage().startsWith("getsockopt SO_PEERCRED of fd 2147483647: errno 9"));
        }
        try {
            SocketOptions.setTimeouts(Integer.MAX_VALUE, 200);
            fail("timeouts of no socket");
        } catch (IOException e) {
            assertTrue(e.getMessage(), e.getMessage().startsWith("setsockopt SO_RCVTIMEO of fd 2147483647: errno 9"));
        }
    }

    private static String status(String key) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(key + ":")) return line.substring(key.length() + 1).trim();
        }
        throw new AssertionError(key + " not in /proc/self/status");
    }
}
