package rocker.server.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.Rule;
import org.junit.Test;

import rocker.api.RockerApp;
import rocker.api.RockerError;
import rocker.api.RockerResult;
import rocker.client.RemoteRockerClient;
import rocker.client.protocol.Frame;
import rocker.client.protocol.Protocol;
import rocker.client.testing.RawClient;
import rocker.client.testing.Requests;
import rocker.server.testing.ProcessResources;
import rocker.server.testing.ServerFixture;

/** Garbage, truncated, oversized and slow clients, and floods: the server answers or hangs up, and serves on. */
public class ProtocolAbuseTest {
    @Rule
    public final ServerFixture fixture = new ServerFixture(b -> b.maxRequestBytes(4096)
            .requestTimeout(Duration.ofMillis(500)).maxConcurrentRequests(8));

    private void assertStillServes() {
        RemoteRockerClient client = new RemoteRockerClient(fixture.socket().toString(), Duration.ofSeconds(20));
        RockerResult r = client.enterRocker(Requests.valid(0, 0).build(), RockerApp.of("/bin/true"));
        assertTrue(r.toString(), r.isSuccess());
        client.close();
    }

    /** The reply to abuse: an error RESULT, or the connection closed; never a success. */
    private static void assertRefusedOrDropped(RawClient raw) throws IOException {
        try {
            Frame f = raw.read();
            assertEquals(Protocol.RESULT, f.type());
        } catch (EOFException e) {
            // dropped: fine
        }
    }

    @Test
    public void garbageGetsAnErrorReply() throws IOException {
        try (RawClient raw = new RawClient(fixture.socket())) {
            RockerResult r = raw.send(new byte[] {0, 0, 0, 3, 0x42, 0, 1}).readResult();
            assertEquals(RockerError.PARAM_INVALID, r.error());
            assertTrue(r.message(), r.message().contains("unknown request type 0x42"));
        }
        try (RawClient raw = new RawClient(fixture.socket())) {
            RockerResult r = raw.send(new byte[] {0, 0, 0, 0}).readResult();
            assertEquals(RockerError.PARAM_INVALID, r.error());
            assertTrue(r.message(), r.message().contains("empty frame"));
        }
        assertStillServes();
    }

    @Test
    public void randomBytesNeverDisturbTheServer() throws IOException {
        Random random = new Random(4242);
        for (int i = 0; i < 60; i++) {
            byte[] junk = new byte[1 + random.nextInt(600)];
            random.nextBytes(junk);
            if (i % 2 == 0 && junk.length > 4) {
                // a plausible length, so that the body gets decoded
                ByteBuffer.wrap(junk).putInt(junk.length - 4);
            }
            try (RawClient raw = new RawClient(fixture.socket())) {
                raw.send(junk);
                assertRefusedOrDropped(raw);
            }
        }
        assertStillServes();
        assertTrue(fixture.engine.requests.size() <= 1);
    }

    @Test
    public void anOversizedFrameIsRefusedUnread() throws IOException {
        try (RawClient raw = new RawClient(fixture.socket())) {
            RockerResult r = raw.send(new byte[] {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, Protocol.LIST}).readResult();
            assertEquals(RockerError.PARAM_INVALID, r.error());
            assertTrue(r.message(), r.message().contains("exceeds the limit of 4096 bytes"));
        }
        RemoteRockerClient client = new RemoteRockerClient(fixture.socket().toString());
        RockerResult big = client.enterRocker(Requests.valid(0, 0).build(),
                RockerApp.builder().command("/bin/echo", "x".repeat(10_000)).build());
        assertEquals(big.toString(), RockerError.PARAM_INVALID, big.error());
        assertTrue(big.message(), big.message().contains("exceeds the limit"));
        assertStillServes();
    }

    @Test
    public void truncatedFramesAndSlowClientsAreDropped() throws IOException {
        try (RawClient raw = new RawClient(fixture.socket())) {
            raw.send(new byte[] {0, 0, 0, 100, Protocol.LIST, 0});
        } // closed mid-frame
        try (RawClient slow = new RawClient(fixture.socket())) {
            slow.send(new byte[] {0, 0});
            assertStillServes(); // served while the slow one is stuck
            RockerResult r = slow.readResult();
            assertEquals(RockerError.SEND_REQ_FAILED, r.error());
            assertTrue(r.message(), r.message().contains("within 500 ms"));
        }
        assertStillServes();
    }

    @Test
    public void overTheLimitConnectionsAreToldTheServerIsBusy() throws IOException {
        List<RawClient> silent = new ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) {
                silent.add(new RawClient(fixture.socket()));
            }
            try (RawClient extra = new RawClient(fixture.socket())) {
                RockerResult r = extra.readResult();
                assertEquals(RockerError.SYS, r.error());
                assertTrue(r.message(), r.message().startsWith("server busy"));
            }
        } finally {
            for (RawClient c : silent) {
                c.close();
            }
        }
        // a connection's permit is free once its handler has seen the client hang up: give it that moment
        try (RemoteRockerClient probe = new RemoteRockerClient(fixture.socket().toString(), Duration.ofSeconds(20))) {
            long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (probe.getGuardName(1).message().startsWith("server busy") && System.nanoTime() < end) {
                Thread.onSpinWait();
            }
        }
        assertStillServes();
    }

    @Test
    public void twoHundredDroppedConnectionsLeakNoFdsOrThreads() throws Exception {
        assertStillServes();
        int fds = ProcessResources.openFds();
        for (int i = 0; i < 200; i++) {
            try (RawClient raw = new RawClient(fixture.socket())) {
                if (i % 3 == 1) {
                    raw.send(new byte[] {0, 0, 0, 9});
                } else if (i % 3 == 2) {
                    raw.send(new byte[] {0, 0, 0, 3, Protocol.LIST, 0, 1});
                }
            } catch (IOException e) {
                // a refused connect under load is fine; the point is the server
            }
        }
        assertStillServes();
        int conns = ProcessResources.settle(() -> fixture.server().activeConnections(), 0);
        assertEquals("connections still open", 0, conns);
        int threads = ProcessResources.settle(() -> ProcessResources.threadsNamed(UnixSocketServer.THREAD_PREFIX + "conn"), 0);
        assertEquals("connection threads left", 0, threads);
        int after = ProcessResources.settle(ProcessResources::openFds, fds + 2);
        assertTrue("fds before " + fds + ", after " + after, after <= fds + 2);
    }
}
