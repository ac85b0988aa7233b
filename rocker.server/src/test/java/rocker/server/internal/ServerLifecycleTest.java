package rocker.server.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.junit.Rule;
import org.junit.Test;

import jnr.unixsocket.UnixServerSocketChannel;
import jnr.unixsocket.UnixSocketAddress;
import rocker.api.RockerApp;
import rocker.api.RockerResult;
import rocker.client.RemoteRockerClient;
import rocker.client.testing.Requests;
import rocker.server.testing.ProcessResources;
import rocker.server.testing.ServerFixture;

/** Binding, permissions, stale sockets, stop and restart (hot deploy). */
public class ServerLifecycleTest {
    @Rule
    public final ServerFixture fixture = new ServerFixture(b -> b.socketMode(0660));

    @Test
    public void stopRemovesTheSocketAndARestartFindsTheRockersAgain() throws IOException, InterruptedException {
        assertTrue(Files.exists(fixture.socket()));
        assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(fixture.socket())));
        assertTrue(Files.isDirectory(fixture.dir().resolve("state")));
        RemoteRockerClient client = new RemoteRockerClient(fixture.socket().toString());
        RockerResult r = client.enterRocker(Requests.valid(0, 0).build(), RockerApp.of("/bin/true"));
        assertTrue(r.isSuccess());

        fixture.stop();
        assertFalse("socket file removed", Files.exists(fixture.socket()));
        assertEquals(0, ProcessResources.settle(() -> ProcessResources.threadsNamed(UnixSocketServer.THREAD_PREFIX), 0));

        fixture.start();
        assertEquals(r.guardName(), client.list().get(0).guardName());
    }

    /** A readiness check that waits for the socket file (the systemd unit's) may connect at once. */
    @Test
    public void theSocketFileAppearsOnlyOnceItAcceptsConnections() throws Exception {
        for (int round = 0; round < 20; round++) {
            fixture.stop();
            java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
            Thread prober = new Thread(() -> {
                long end = System.nanoTime() + 10_000_000_000L;
                while (!Files.exists(fixture.socket()) && System.nanoTime() < end) {
                    Thread.onSpinWait();
                }
                try (jnr.unixsocket.UnixSocketChannel c = jnr.unixsocket.UnixSocketChannel.open(new UnixSocketAddress(fixture.socket().toFile()))) {
                    assertTrue(c.isConnected());
                } catch (IOException | AssertionError e) {
                    failure.set(e);
                }
            });
            prober.start();
            fixture.start();
            prober.join(15_000);
            assertEquals("round " + round + ": " + failure.get(), null, failure.get());
            assertEquals("only the socket is left in its dir", List.of(fixture.socket().getFileName().toString()),
                    Files.list(fixture.socket().getParent()).map(p -> p.getFileName().toString()).filter(n -> n.contains("sock")).toList());
        }
    }

    @Test
    public void aStaleSocketIsReplaced() throws IOException {
        fixture.stop();
        UnixServerSocketChannel dead = UnixServerSocketChannel.open();
        dead.socket().bind(new UnixSocketAddress(fixture.socket().toFile()));
        dead.close(); // the file stays, nobody listens
        assertTrue(Files.exists(fixture.socket()));
        fixture.start();
        assertTrue(new RemoteRockerClient(fixture.socket().toString()).list().isEmpty());
    }

    @Test
    public void neverTakesOverALiveServerOrAFile() throws IOException {
        UnixSocketServer second = new UnixSocketServer(fixture.settings(), fixture.engine);
        try {
            second.start();
            fail("started over a live server");
        } catch (IOException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("another server is listening"));
        }
        assertTrue(new RemoteRockerClient(fixture.socket().toString()).list().isEmpty());

        fixture.stop();
        Path file = Files.writeString(fixture.socket(), "precious");
        try {
            new UnixSocketServer(fixture.settings(), fixture.engine).start();
            fail("started over a regular file");
        } catch (IOException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("is not a socket"));
        }
        assertEquals("precious", Files.readString(file));
        Files.delete(file);
    }
}
