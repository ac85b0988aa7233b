package rocker.server.enter;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import java.io.EOFException;
import java.io.IOException;
import java.time.Duration;
import java.util.List;

import org.junit.Rule;
import org.junit.Test;

import rocker.api.PreparedRocker;
import rocker.api.RockerError;
import rocker.api.RockerResult;
import rocker.client.protocol.Call;
import rocker.client.protocol.CallCodec;
import rocker.client.protocol.Frame;
import rocker.client.protocol.Protocol;
import rocker.client.protocol.ReplyCodec;
import rocker.client.testing.RawClient;
import rocker.client.testing.Requests;
import rocker.server.testing.ChildJvm;
import rocker.server.testing.FakeEngine;
import rocker.server.testing.ServerFixture;

/**
 * PREPARE and STARTED on one connection (docs/protocol.md, "Entering a rocker"): the server hands the
 * engine's prepared rocker over, records the caller's app, and has the rocker torn down on anything else.
 * The engine is a test double here; PreparedRockerTest (engine) and the C library's tests run it for real.
 */
public class EnterConversationTest {
    private static final int NOBODY = 65534;

    @Rule
    public final ServerFixture fixture = new ServerFixture(b -> b.requestTimeout(Duration.ofMillis(700)));

    private static byte[] frame(Call call, int version) {
        return RawClient.frame(CallCodec.type(call), CallCodec.encode(call, version));
    }

    private PreparedRocker prepare(RawClient raw) throws IOException {
        Frame f = raw.send(frame(new Call.Prepare(Requests.valid(0, 0).build()), 2)).read();
        assertEquals(0, ReplyCodec.errno(f));
        PreparedRocker p = ReplyCodec.prepared(f);
        assertTrue(p.toString(), p.result().isSuccess());
        return p;
    }

    private void awaitAbandoned(String name) throws InterruptedException {
        for (int i = 0; i < 500 && !fixture.engine.abandoned.contains(name); i++) Thread.sleep(10);
        assertEquals(List.of(name), fixture.engine.abandoned);
        assertTrue(fixture.engine.started.isEmpty());
    }

    @Test
    public void preparedThenStartedIsEntered() throws Exception {
        try (RawClient raw = new RawClient(fixture.socket())) {
            PreparedRocker p = prepare(raw);
            assertArrayEquals("the filter reaches the client as it is", FakeEngine.FILTER, p.seccompFilter());
            assertEquals(List.of("/sys/fs/cgroup/pids/" + p.result().guardName() + "/cgroup.procs"), p.cgroupProcs());
            RockerResult r = raw.send(frame(new Call.Started(4242), 2)).readResult();
            assertEquals(r.toString(), RockerError.SUCCESS, r.error());
            assertEquals(4242, r.appPid());
            assertEquals(p.result().guardName(), r.guardName());
            try {
                raw.read();
                throw new AssertionError("the connection ends after STARTED's RESULT");
            } catch (EOFException expected) {
                // done
            }
        }
        assertEquals(1, fixture.engine.prepared.size());
        assertEquals(List.of(fixture.engine.prepared.get(0) + " 4242"), fixture.engine.started);
        assertTrue(fixture.engine.abandoned.isEmpty());
        assertTrue("root enters with the engine's credentials", fixture.engine.callers.get(0).isEngine());
    }

    @Test
    public void aCallerThatGoesAwayLeavesNoRocker() throws Exception {
        String name;
        try (RawClient raw = new RawClient(fixture.socket())) {
            name = prepare(raw).result().guardName();
        }
        awaitAbandoned(name);
    }

    @Test
    public void aCallerThatSaysNothingLeavesNoRocker() throws Exception {
        try (RawClient raw = new RawClient(fixture.socket())) {
            String name = prepare(raw).result().guardName();
            awaitAbandoned(name); // request.timeout.ms = 700
        }
    }

    @Test
    public void anythingButStartedLeavesNoRocker() throws Exception {
        try (RawClient raw = new RawClient(fixture.socket())) {
            String name = prepare(raw).result().guardName();
            RockerResult r = raw.send(frame(new Call.ListRockers(), 2)).readResult();
            assertEquals(RockerError.PARAM_INVALID, r.error());
            assertEquals("bad request: after PREPARE comes STARTED, not ListRockers", r.message());
            awaitAbandoned(name);
        }
    }

    @Test
    public void startedAloneAndPrepareInVersionOneAreRefused() throws Exception {
        try (RawClient raw = new RawClient(fixture.socket())) {
            RockerResult r = raw.send(frame(new Call.Started(1), 2)).readResult();
            assertEquals(RockerError.PARAM_INVALID, r.error());
            assertEquals("bad request: STARTED comes only after a PREPARE, on its connection", r.message());
        }
        try (RawClient raw = new RawClient(fixture.socket())) {
            java.nio.ByteBuffer v1 = java.nio.ByteBuffer.allocate(2).putShort((short) 1).flip();
            RockerResult r = raw.send(RawClient.frame(Protocol.PREPARE, v1)).readResult();
            assertEquals(RockerError.PARAM_INVALID, r.error());
            assertEquals("bad request: PREPARE: protocol version 1 cannot carry this request (send it in version 2)", r.message());
        }
        assertTrue(fixture.engine.prepared.isEmpty());
    }

    @Test
    public void onlyRootEntersWithNothingBuiltForOthers() throws Exception {
        assumeTrue("needs root and setpriv", ChildJvm.available());
        try (ChildJvm child = new ChildJvm()) {
            ChildJvm.Result r = child.run(NOBODY, NOBODY, PrepareClientMain.class, fixture.socket().toString());
            assertEquals(r.output(), 0, r.exitCode());
            assertEquals("RESULT enter_rocker_failed errno 1 permission denied (EPERM): only root can enter a rocker; "
                    + "ROCKER_run_rocker runs a command for any user\n", r.output());
        }
        assertTrue("nothing was built", fixture.engine.prepared.isEmpty());
    }
}
