package rocker.server.roundtrip;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;

import org.junit.Rule;
import org.junit.Test;

import rocker.api.RockerApp;
import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.api.RockerInfo;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.api.Stdio;
import rocker.client.RemoteRockerClient;
import rocker.client.protocol.Call;
import rocker.client.protocol.CallCodec;
import rocker.client.protocol.Frame;
import rocker.client.protocol.Protocol;
import rocker.client.protocol.ProtocolException;
import rocker.client.protocol.ReplyCodec;
import rocker.client.protocol.ResourceLimitsWireTest;
import rocker.client.protocol.WireReader;
import rocker.client.protocol.WireVectorsTest;
import rocker.client.testing.Hex;
import rocker.client.testing.RawClient;
import rocker.client.testing.Requests;
import rocker.server.testing.ServerFixture;

/**
 * Clients of both versions against the real server on a real socket: each gets its replies in the
 * version it asked in; the fixed request bytes are those of {@link WireVectorsTest}.
 */
public class VersionCompatibilityTest {
    @Rule
    public final ServerFixture fixture = new ServerFixture();

    private RawClient raw() throws IOException {
        return new RawClient(fixture.socket());
    }

    private static byte[] request(byte type, String hex) {
        return RawClient.frame(type, Hex.buffer(hex));
    }

    /** A version-1 RESULT body, read field by field without {@link ReplyCodec}. */
    private static RockerResult v1Result(Frame f) throws ProtocolException {
        assertEquals(Protocol.RESULT, f.type());
        WireReader r = new WireReader(f.body());
        RockerResult result = RockerResult.of(RockerError.fromCode(r.i32("err_no")), r.i32("app_pid"), r.i32("guard_pid"),
                r.str("guard_name"), r.str("message"));
        r.end();
        return result;
    }

    /** A version-2 RESULT body: it starts with tag 1 (err_no), 4 bytes. */
    private static RockerResult v2Result(Frame f) throws ProtocolException {
        assertEquals(Protocol.RESULT, f.type());
        assertEquals("000100000004", Hex.of(f.body()).substring(0, 12));
        return ReplyCodec.result(f);
    }

    @Test
    public void aVersionOneClientIsAnsweredAsBefore() throws IOException {
        try (RawClient c = raw()) {
            c.send(request(Protocol.ENTER, WireVectorsTest.V1_ENTER));
            RockerResult r = v1Result(c.read());
            assertTrue(r.toString(), r.isSuccess());
            assertEquals("rocker-fake-1", r.guardName());
            Frame out = c.read();
            assertEquals(Protocol.STDOUT, out.type());
            assertEquals("hello from the app\n", StandardCharsets.UTF_8.decode(out.body()).toString());
            Frame exit = c.read();
            assertEquals(Protocol.EXIT, exit.type());
            assertEquals("0100000007", Hex.of(exit.body()));
        }
        assertEquals(WireVectorsTest.REQUEST, fixture.engine.requests.get(0));
        RockerApp app = fixture.engine.apps.get(0);
        assertEquals(List.of("/b", "é"), app.command());
        assertEquals(Stdio.Kind.FILE, app.stdin().kind());
        assertEquals("/i", app.stdin().path());
        assertEquals(Stdio.Kind.LOG, app.stderr().kind());
        try (RawClient c = raw()) {
            Frame infos = c.send(request(Protocol.LIST, "0001")).read();
            assertEquals(Protocol.INFOS, infos.type());
            assertEquals("00000001", Hex.of(infos.body()).substring(0, 8)); // count 1
            List<RockerInfo> list = ReplyCodec.infos(infos, 1);
            assertEquals(WireVectorsTest.REQUEST, list.get(0).request());
        }
        try (RawClient c = raw()) {
            // WAIT "rocker-fake-1", 1000 ms
            Frame exit = c.send(request(Protocol.WAIT, "0001 0000000d 726f636b65722d66616b652d31 00000000000003e8")).read();
            assertEquals("0100000007", Hex.of(exit.body()));
        }
        try (RawClient c = raw()) {
            RockerResult r = v1Result(c.send(request(Protocol.DESTROY, "0001 00000001 78")).read()); // "x"
            assertEquals(RockerError.PARAM_INVALID, r.error());
        }
    }

    @Test
    public void aVersionTwoClientIsAnsweredInVersionTwo() throws IOException {
        try (RawClient c = raw()) {
            c.send(request(Protocol.ENTER, WireVectorsTest.V2_ENTER));
            RockerResult r = v2Result(c.read());
            assertTrue(r.toString(), r.isSuccess());
            assertEquals(Protocol.STDOUT, c.read().type());
            Frame exit = c.read();
            assertEquals(Protocol.EXIT, exit.type());
            assertEquals(Hex.normal("0001 00000001 01 0002 00000004 00000007"), Hex.of(exit.body()));
        }
        assertEquals(WireVectorsTest.REQUEST, fixture.engine.requests.get(0));
        try (RawClient c = raw()) {
            Frame infos = c.send(request(Protocol.LIST, "0002")).read();
            assertEquals(Protocol.INFOS, infos.type());
            assertEquals(WireVectorsTest.REQUEST, ReplyCodec.infos(infos, 2).get(0).request());
        }
        try (RawClient c = raw()) {
            // WAIT guard_name "x": an error RESULT, in version 2
            RockerResult r = v2Result(c.send(request(Protocol.WAIT, "0002 0001 00000001 78")).read());
            assertEquals(RockerError.PARAM_INVALID, r.error());
        }
    }

    @Test
    public void badRequestsAreAnsweredInTheirVersion() throws IOException {
        try (RawClient c = raw()) {
            // ENTER, request with tag 21
            RockerResult r = v2Result(c.send(request(Protocol.ENTER, "0002 0001 00000006 0015 00000000")).read());
            assertEquals(RockerError.PARAM_INVALID, r.error());
            assertEquals("bad request: unknown field tag 21 in request", r.message());
        }
        try (RawClient c = raw()) {
            // well-formed, but a device outside /dev: the server validates what the client did not
            Call.Enter e = new Call.Enter(Requests.valid(0, 0).addDevice("/tmp/tty").build(), WireVectorsTest.ENTER_1_1.app());
            RockerResult r = v2Result(c.send(RawClient.frame(Protocol.ENTER, CallCodec.encode(e, 2))).read());
            assertEquals(RockerError.PARAM_INVALID, r.error());
            assertEquals("devices '/tmp/tty': must be a device node under /dev", r.message());
        }
        try (RawClient c = raw()) {
            // well-formed, but a relative seccomp profile
            Call.Enter e = new Call.Enter(Requests.valid(0, 0).seccomp("profile.json").build(), WireVectorsTest.ENTER_1_1.app());
            RockerResult r = v2Result(c.send(RawClient.frame(Protocol.ENTER, CallCodec.encode(e, 2))).read());
            assertEquals(RockerError.PARAM_INVALID, r.error());
            assertEquals("seccomp 'profile.json': must be an absolute path", r.message());
        }
        try (RawClient c = raw()) {
            RockerResult r = v2Result(c.send(request(Protocol.GUARD_NAME, "0002 0001 00000003 000000")).read());
            assertEquals("bad request: pid: i32 must be 4 bytes, not 3", r.message());
        }
        try (RawClient c = raw()) {
            RockerResult r = v1Result(c.send(request(Protocol.GUARD_NAME, "0001 0000")).read());
            assertEquals("bad request: pid: frame ends early", r.message());
        }
        for (String version : List.of("0000", "0003", "ffff")) {
            try (RawClient c = raw()) {
                RockerResult r = v1Result(c.send(request(Protocol.LIST, version)).read());
                assertEquals(RockerError.PARAM_INVALID, r.error());
                assertEquals("bad request: protocol version " + Integer.parseInt(version, 16)
                        + " is not supported (this side speaks 1 and 2)", r.message());
            }
        }
        try (RawClient c = raw()) {
            RockerResult r = v1Result(c.send(request(Protocol.LIST, "02")).read());
            assertEquals("bad request: version: frame ends early", r.message());
        }
        assertTrue(fixture.engine.requests.isEmpty());
    }

    @Test
    public void devicesAndSharedDirsTravelInVersionTwoOnly() throws Exception {
        entersAndListsInVersionTwoOnly(WireVectorsTest.V2_ENTER_1_1, WireVectorsTest.REQUEST_1_1, "devices '[/dev/a, /dev/b]'");
        RemoteRockerClient v2 = new RemoteRockerClient(fixture.socket().toString(), Duration.ofSeconds(20));
        RockerResult second = v2.enterRocker(WireVectorsTest.REQUEST_1_1, RockerApp.builder().command("/bin/true").build());
        assertTrue(second.toString(), second.isSuccess());
        assertEquals(2, fixture.engine.requests.size());
        assertEquals(WireVectorsTest.REQUEST_1_1, v2.list().get(1).request());
        RemoteRockerClient v1 = new RemoteRockerClient(fixture.socket().toString(), Duration.ofSeconds(20), 1);
        RockerResult refused = v1.enterRocker(WireVectorsTest.REQUEST_1_1, RockerApp.builder().command("/bin/true").build());
        assertRefusedInVersionOne(refused, "devices '[/dev/a, /dev/b]'");
        assertEquals(2, fixture.engine.requests.size());
        try {
            v1.list();
            fail();
        } catch (RockerException e) {
            assertEquals(RockerError.PARAM_INVALID, e.error());
            assertTrue(e.getMessage(), e.getMessage().startsWith("rocker rocker-fake-1: devices '[/dev/a, /dev/b]'"));
        }
        v2.close();
        v1.close();
    }

    @Test
    public void seccompTravelsInVersionTwoOnly() throws Exception {
        entersAndListsInVersionTwoOnly(WireVectorsTest.V2_ENTER_SECCOMP, WireVectorsTest.REQUEST_SECCOMP, "seccomp 'unconfined'");
        RockerApp app = RockerApp.builder().command("/bin/true").build();
        RockerRequest profile = Requests.valid(0, 0).seccomp("/etc/rocker/app.json").build();
        RemoteRockerClient v2 = new RemoteRockerClient(fixture.socket().toString(), Duration.ofSeconds(20));
        RockerResult second = v2.enterRocker(profile, app);
        assertTrue(second.toString(), second.isSuccess());
        assertEquals(profile, fixture.engine.requests.get(1));
        assertEquals("/etc/rocker/app.json", v2.list().get(1).request().seccomp());
        RemoteRockerClient v1 = new RemoteRockerClient(fixture.socket().toString(), Duration.ofSeconds(20), 1);
        RockerResult refused = v1.enterRocker(profile, app);
        assertRefusedInVersionOne(refused, "seccomp '/etc/rocker/app.json'");
        // Rocker's default filter (null) goes in version 1 as before
        assertTrue(v1.enterRocker(Requests.valid(0, 0).build(), app).isSuccess());
        assertEquals(3, fixture.engine.requests.size());
        v2.close();
        v1.close();
    }

    @Test
    public void limitsAndStatsTravelInVersionTwoOnly() throws Exception {
        entersAndListsInVersionTwoOnly(ResourceLimitsWireTest.V2_ENTER_LIMITS, ResourceLimitsWireTest.LIMITS, "memory '67108864'");
        fixture.engine.stats.put("rocker-fake-1", ResourceLimitsWireTest.STATS);
        RemoteRockerClient v2 = new RemoteRockerClient(fixture.socket().toString(), Duration.ofSeconds(20));
        RockerInfo listed = v2.list().get(0);
        assertEquals(ResourceLimitsWireTest.LIMITS, listed.request());
        assertEquals(ResourceLimitsWireTest.STATS, listed.stats());
        assertEquals(java.util.Optional.of(ResourceLimitsWireTest.STATS), v2.stats("rocker-fake-1"));
        // an unknown rocker, or one whose figures are unknown: empty (a RESULT param_invalid on the wire)
        assertEquals(java.util.Optional.empty(), v2.stats("nope"));
        try (RawClient c = raw()) {
            RockerResult r = v2Result(c.send(request(Protocol.STATS, "0002 0001 00000004 6e6f7065")).read());
            assertEquals(RockerError.PARAM_INVALID, r.error());
            assertEquals("guard_name 'nope': no such rocker, or its figures are unknown", r.message());
        }
        try (RawClient c = raw()) {
            Frame f = c.send(request(Protocol.STATS, "0002 0001 0000000d 726f636b65722d66616b652d31")).read();
            assertEquals(Protocol.STATS_REPLY, f.type());
            assertEquals(Hex.normal(ResourceLimitsWireTest.STATS_FIELDS), Hex.of(f.body()));
        }
        try (RawClient c = raw()) {
            // there is no STATS in version 1: a version-1 RESULT
            RockerResult r = v1Result(c.send(request(Protocol.STATS, "0001 0000000d 726f636b65722d66616b652d31")).read());
            assertEquals(RockerError.PARAM_INVALID, r.error());
            assertEquals("bad request: STATS: protocol version 1 cannot carry this request (send it in version 2)", r.message());
        }
        RemoteRockerClient v1 = new RemoteRockerClient(fixture.socket().toString(), Duration.ofSeconds(20), 1);
        RockerApp app = RockerApp.builder().command("/bin/true").build();
        RockerResult refused = v1.enterRocker(Requests.valid(0, 0).pidsLimit(0).build(), app);
        assertRefusedInVersionOne(refused, "pids '0'");
        // the default limits go in version 1 as before; its listing shows no stats
        fixture.engine.destroy("rocker-fake-1");
        assertTrue(v1.enterRocker(Requests.valid(0, 0).build(), app).isSuccess());
        fixture.engine.stats.put("rocker-fake-2", ResourceLimitsWireTest.STATS);
        assertEquals(null, v1.list().get(0).stats());
        assertEquals(ResourceLimitsWireTest.STATS, v2.list().get(0).stats());
        assertEquals(2, fixture.engine.requests.size());
        v2.close();
        v1.close();
    }

    /**
     * ENTER {@code v2Enter} (version 2) builds the rocker of {@code request}, rocker-fake-1, which LIST shows
     * in version 2; version 1 cannot show it with {@code field} (what the request has that version 1 has
     * not): a RESULT instead of INFOS.
     */
    private void entersAndListsInVersionTwoOnly(String v2Enter, RockerRequest request, String field) throws Exception {
        try (RawClient c = raw()) {
            RockerResult r = v2Result(c.send(request(Protocol.ENTER, v2Enter)).read());
            assertTrue(r.toString(), r.isSuccess());
        }
        assertEquals(request, fixture.engine.requests.get(0));
        try (RawClient c = raw()) {
            Frame infos = c.send(request(Protocol.LIST, "0002")).read();
            assertEquals(request, ReplyCodec.infos(infos, 2).get(0).request());
        }
        try (RawClient c = raw()) {
            RockerResult r = v1Result(c.send(request(Protocol.LIST, "0001")).read());
            assertEquals(RockerError.PARAM_INVALID, r.error());
            assertEquals("rocker rocker-fake-1: " + field + ": protocol version 1 cannot carry this field (list in version 2)",
                    r.message());
        }
    }

    /** The remote client of version 1 refused a request for its {@code field}, and said why. */
    private static void assertRefusedInVersionOne(RockerResult refused, String field) {
        assertEquals(RockerError.PARAM_INVALID, refused.error());
        assertEquals(field + ": protocol version 1 cannot carry this field (this connection speaks version 1)", refused.message());
    }

    @Test
    public void theRemoteClientSpeaksEitherVersion() {
        for (int version : new int[] {1, 2}) {
            RemoteRockerClient client = new RemoteRockerClient(fixture.socket().toString(), Duration.ofSeconds(20), version);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            RockerResult r = client.enterRocker(Requests.valid(0, 0).build(),
                    RockerApp.builder().command("/bin/true").env("K", "v=w").stdout(Stdio.stream(out)).build());
            assertTrue(r.toString(), r.isSuccess());
            assertEquals(OptionalInt.of(7), client.waitForApp(r.guardName(), Duration.ofSeconds(20)));
            assertEquals("hello from the app\n", out.toString(StandardCharsets.UTF_8));
            assertEquals(java.util.Map.of("K", "v=w"), fixture.engine.apps.get(fixture.engine.apps.size() - 1).environment());
            assertEquals(r.guardName(), client.getGuardName(r.guardPid()).guardName());
            assertTrue(client.list().stream().anyMatch(i -> i.guardName().equals(r.guardName())));
            assertEquals(OptionalInt.of(7), client.waitForApp(r.guardName(), Duration.ofSeconds(1)));
            assertTrue(client.destroy(r.guardPid(), r.guardName()).isSuccess());
            assertEquals(version, client.protocolVersion());
            client.close();
        }
    }
}
