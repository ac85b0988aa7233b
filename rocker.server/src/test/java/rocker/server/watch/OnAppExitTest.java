package rocker.server.watch;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.Rule;
import org.junit.Test;

import rocker.api.RockerApp;
import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.api.RockerResult;
import rocker.client.RemoteRockerClient;
import rocker.client.protocol.Call;
import rocker.client.protocol.CallCodec;
import rocker.client.protocol.Protocol;
import rocker.client.testing.RawClient;
import rocker.client.testing.Requests;
import rocker.server.testing.ServerFixture;

/**
 * {@code onAppExit} through the server (WATCH and EXITED, docs/protocol.md): one watch connection per
 * client for all its subscriptions, one stream slot; EXITED when the app ends, nothing polled.
 */
public class OnAppExitTest {
    @Rule
    public final ServerFixture fixture = new ServerFixture(b -> b.maxStreams(1));

    private String held(RemoteRockerClient c) {
        fixture.engine.holdApps = true;
        RockerResult r = c.enterRocker(Requests.valid(0, 0).build(), RockerApp.of("/bin/true"));
        assertTrue(r.toString(), r.isSuccess());
        return r.guardName();
    }

    private static boolean eventually(java.util.function.BooleanSupplier check) throws InterruptedException {
        for (int i = 0; i < 1000; i++) {
            if (check.getAsBoolean()) return true;
            Thread.sleep(10);
        }
        return check.getAsBoolean();
    }

    private static RockerException failure(CompletableFuture<Integer> f) throws Exception {
        try {
            f.get(10, TimeUnit.SECONDS);
            throw new AssertionError("expected a failure, got " + f.get());
        } catch (ExecutionException e) {
            assertTrue(e.getCause().toString(), e.getCause() instanceof RockerException);
            return (RockerException) e.getCause();
        }
    }

    @Test
    public void oneConnectionCarriesEverySubscriptionUntilEachAppEnds() throws Exception {
        try (RemoteRockerClient c = new RemoteRockerClient(fixture.socket().toString(), Duration.ofSeconds(10));
                RemoteRockerClient other = new RemoteRockerClient(fixture.socket().toString(), Duration.ofSeconds(10))) {
            String a = held(c);
            String b = held(c);
            CompletableFuture<Integer> ea = c.onAppExit(a).toCompletableFuture();
            CompletableFuture<Integer> eb = c.onAppExit(b).toCompletableFuture();
            CompletableFuture<Integer> eb2 = c.onAppExit(b).toCompletableFuture();
            Thread.sleep(200);
            assertFalse("still running", ea.isDone() || eb.isDone() || eb2.isDone());
            // the one stream slot (max.streams 1) is this client's single watch connection
            RockerException busy = failure(other.onAppExit(a).toCompletableFuture());
            assertEquals(RockerError.SYS, busy.error());
            assertTrue(busy.getMessage(), busy.getMessage().startsWith("the server ended the watch connection: server busy"));
            // waitForApp does not need the slot: it asks with WAIT then
            assertEquals(java.util.OptionalInt.empty(), other.waitForApp(a, Duration.ofMillis(300)));

            fixture.engine.exitStatus = 3;
            fixture.engine.finish(b);
            assertEquals(Integer.valueOf(3), eb.get(10, TimeUnit.SECONDS));
            assertEquals(Integer.valueOf(3), eb2.get(10, TimeUnit.SECONDS));
            assertFalse(ea.isDone());
            fixture.engine.exitStatus = 0;
            fixture.engine.finish(a);
            assertEquals(Integer.valueOf(0), ea.get(10, TimeUnit.SECONDS));
            assertEquals("after it ended, at once", Integer.valueOf(3), c.onAppExit(b).toCompletableFuture().get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    public void anUnknownRockerFailsItsStageOnly() throws Exception {
        try (RemoteRockerClient c = new RemoteRockerClient(fixture.socket().toString(), Duration.ofSeconds(10))) {
            String a = held(c);
            CompletableFuture<Integer> ea = c.onAppExit(a).toCompletableFuture();
            RockerException e = failure(c.onAppExit("rocker-nosuch").toCompletableFuture());
            assertEquals(RockerError.PARAM_INVALID, e.error());
            assertEquals("no rocker rocker-nosuch", e.getMessage());
            fixture.engine.finish(a);
            assertEquals(Integer.valueOf(7), ea.get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    public void aServerThatStopsFailsWhatWaitsAndANewConnectionIsMadeLater() throws Exception {
        try (RemoteRockerClient c = new RemoteRockerClient(fixture.socket().toString(), Duration.ofSeconds(10))) {
            String a = held(c);
            CompletableFuture<Integer> ea = c.onAppExit(a).toCompletableFuture();
            Thread.sleep(200);
            fixture.stop();
            assertEquals(RockerError.RECV_RESP_FAILED, failure(ea).error());
            fixture.start();
            CompletableFuture<Integer> again = c.onAppExit(a).toCompletableFuture();
            fixture.engine.finish(a);
            assertEquals(Integer.valueOf(7), again.get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    public void closingTheClientFailsWhatWaits() throws Exception {
        RemoteRockerClient c = new RemoteRockerClient(fixture.socket().toString(), Duration.ofSeconds(10));
        String a = held(c);
        CompletableFuture<Integer> ea = c.onAppExit(a).toCompletableFuture();
        c.close();
        RockerException e = failure(ea);
        assertEquals(RockerError.RECV_RESP_FAILED, e.error());
        assertEquals("the client was closed", e.getMessage());
        try {
            c.onAppExit(null).toCompletableFuture().get(1, TimeUnit.SECONDS);
            fail();
        } catch (ExecutionException x) {
            assertEquals("guard_name 'null': is required", x.getCause().getMessage());
        }
    }

    @Test
    public void aClosedConnectionsWatchesAreCancelled() throws Exception {
        String a;
        try (RemoteRockerClient c = new RemoteRockerClient(fixture.socket().toString(), Duration.ofSeconds(10))) {
            a = held(c);
        }
        try (RawClient raw = new RawClient(fixture.socket())) {
            for (int i = 0; i < 3; i++) raw.send(RawClient.frame(Protocol.WATCH, CallCodec.encode(new Call.Watch(a))));
            assertTrue("subscribed", eventually(() -> fixture.engine.watches.size() == 3));
        }
        assertTrue("the engine keeps nothing of a connection that closed",
                eventually(() -> fixture.engine.watches.isEmpty()));
        fixture.engine.finish(a);
    }

    @Test
    public void aClientThatDoesNotReadIsCutOffAndLongNamesAreRefused() throws Exception {
        try (RemoteRockerClient c = new RemoteRockerClient(fixture.socket().toString(), Duration.ofSeconds(10))) {
            RockerException e = failure(c.onAppExit("x".repeat(16)).toCompletableFuture());
            assertEquals(RockerError.PARAM_INVALID, e.error());
            assertEquals("guard_name '" + "x".repeat(16) + "': must be 1 to 15 bytes", e.getMessage());
        }
        try (RawClient raw = new RawClient(fixture.socket())) {
            byte[] watch = RawClient.frame(Protocol.WATCH, CallCodec.encode(new Call.Watch("y".repeat(2000))));
            boolean cut = false;
            for (int i = 0; i < 20_000 && !cut; i++) {
                try {
                    raw.send(watch); // each is answered at once; the answers are never read
                } catch (java.io.IOException gone) {
                    cut = true;
                }
            }
            assertTrue("the server cut the connection off", cut);
        }
        // and serves on: a new watch works once the one stream slot is free again (the cut connection's
        // thread releases it when it has closed the socket)
        try (RemoteRockerClient c = new RemoteRockerClient(fixture.socket().toString(), Duration.ofSeconds(10))) {
            String a = held(c);
            CompletableFuture<Integer> ea = null;
            for (int i = 0; i < 50; i++) {
                ea = c.onAppExit(a).toCompletableFuture();
                try {
                    ea.get(300, TimeUnit.MILLISECONDS);
                    break;
                } catch (java.util.concurrent.TimeoutException subscribed) {
                    break; // the app still runs: the watch is in
                } catch (ExecutionException busy) {
                    Thread.sleep(100);
                }
            }
            fixture.engine.finish(a);
            assertEquals(Integer.valueOf(7), ea.get(10, TimeUnit.SECONDS));
        }
    }
}
