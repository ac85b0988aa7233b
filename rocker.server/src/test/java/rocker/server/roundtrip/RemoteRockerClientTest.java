package rocker.server.roundtrip;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;

import org.junit.After;
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
import rocker.client.protocol.AppSpec;
import rocker.client.protocol.Call;
import rocker.client.protocol.CallCodec;
import rocker.client.protocol.Protocol;
import rocker.client.protocol.StdioSpec;
import rocker.client.testing.RawClient;
import rocker.client.testing.Requests;
import rocker.server.testing.ServerFixture;

/** The remote client against a real server on a real socket (serving a test double engine). */
public class RemoteRockerClientTest {
    @Rule
    public final ServerFixture fixture = new ServerFixture();
    private RemoteRockerClient client;

    private RemoteRockerClient client() {
        client = new RemoteRockerClient(fixture.socket().toString(), Duration.ofSeconds(20));
        return client;
    }

    @After
    public void closeClient() {
        if (client != null) {
            client.close();
        }
    }

    @Test
    public void entersListsNamesAndDestroys() {
        RockerRequest req = Requests.valid(0, 0).hostname("box").build();
        RockerResult r = client().enterRocker(req, RockerApp.of("/bin/true"));
        assertTrue(r.toString(), r.isSuccess());
        assertEquals("rocker-fake-1", r.guardName());
        assertEquals(req, fixture.engine.requests.get(0));
        assertEquals(Stdio.Kind.LOG, fixture.engine.apps.get(0).stdout().kind());

        List<RockerInfo> infos = client.list();
        assertEquals(1, infos.size());
        assertEquals(req, infos.get(0).request());
        assertEquals(r.guardPid(), infos.get(0).guardPid());

        assertEquals("rocker-fake-1", client.getGuardName(r.guardPid()).guardName());
        assertEquals(RockerError.GET_GUARDNAME_FAILED, client.getGuardName(99).error());
        assertEquals(RockerError.PARAM_INVALID, client.getGuardName(-1).error());

        assertTrue(client.destroy(r.guardPid(), r.guardName()).isSuccess());
        assertTrue(client.list().isEmpty());
        assertEquals(RockerError.PARAM_INVALID, client.destroy("nope").error());
    }

    @Test
    public void streamsTheOutputBackAndWaitsForTheStatus() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        RockerApp app = RockerApp.builder().command("/bin/app").stdout(Stdio.stream(out)).stderr(Stdio.stream(err)).build();
        RockerResult r = client().enterRocker(Requests.valid(0, 0).build(), app);
        assertTrue(r.toString(), r.isSuccess());
        assertEquals(OptionalInt.of(7), client.waitForApp(r.guardName(), Duration.ofSeconds(20)));
        assertEquals("hello from the app\n", out.toString(StandardCharsets.UTF_8));
        assertEquals("a warning\n", err.toString(StandardCharsets.UTF_8));
        assertEquals(Stdio.Kind.STREAM, fixture.engine.apps.get(0).stdout().kind());
    }

    @Test
    public void waitsThroughTheServerForAppsNotStreamed() {
        fixture.engine.holdApps = true;
        RockerResult r = client().enterRocker(Requests.valid(0, 0).build(), RockerApp.of("/bin/sleep", "1"));
        assertEquals(OptionalInt.empty(), client.waitForApp(r.guardName(), Duration.ofMillis(300)));
        fixture.engine.finish(r.guardName());
        assertEquals(OptionalInt.of(7), client.waitForApp(r.guardName(), Duration.ofSeconds(20)));
        try {
            client.waitForApp("unknown", Duration.ofSeconds(1));
            fail();
        } catch (RockerException e) {
            assertEquals(RockerError.PARAM_INVALID, e.error());
        }
    }

    @Test
    public void theServerValidatesAgainWhateverTheClientSends() throws IOException {
        RockerRequest bad = Requests.valid(0, 0).dataDir("relative/dir").build();
        AppSpec app = new AppSpec(List.of("/bin/true"), java.util.Map.of(), null, StdioSpec.DISCARD, StdioSpec.LOG, StdioSpec.LOG);
        try (RawClient raw = new RawClient(fixture.socket())) {
            Call call = new Call.Enter(bad, app);
            RockerResult r = raw.send(RawClient.frame(CallCodec.type(call), CallCodec.encode(call))).readResult();
            assertEquals(RockerError.PARAM_INVALID, r.error());
            assertTrue(r.message(), r.message().contains("app_data_dir 'relative/dir'"));
        }
        AppSpec emptyCommand = new AppSpec(List.of(), java.util.Map.of(), null, StdioSpec.DISCARD, StdioSpec.LOG, StdioSpec.LOG);
        try (RawClient raw = new RawClient(fixture.socket())) {
            Call call = new Call.Enter(Requests.valid(0, 0).build(), emptyCommand);
            RockerResult r = raw.send(RawClient.frame(Protocol.ENTER, CallCodec.encode(call))).readResult();
            assertEquals(RockerError.PARAM_INVALID, r.error());
            assertTrue(r.message(), r.message().startsWith("command"));
        }
        assertTrue(fixture.engine.requests.isEmpty());
    }

    @Test
    public void theClientValidatesToo() {
        RockerResult r = client().enterRocker(Requests.valid(0, 0).pkgPath(null).build(), RockerApp.of("/bin/true"));
        assertEquals(RockerError.PARAM_INVALID, r.error());
        RockerResult in = client.enterRocker(Requests.valid(0, 0).build(),
                RockerApp.builder().command("/bin/cat").stdin(Stdio.inherit()).build());
        assertEquals(RockerError.PARAM_INVALID, in.error());
        assertTrue(in.message(), in.message().startsWith("stdin"));
    }

    @Test
    public void connectionErrorsMapToTheSeedCodes() throws IOException {
        assertEquals(RockerError.SERVER_UNADDR_INVALID,
                new RemoteRockerClient(fixture.dir().resolve("none.sock").toString()).getGuardName(1).error());
        assertEquals(RockerError.SERVER_UNADDR_INVALID, new RemoteRockerClient("/" + "x".repeat(200)).getGuardName(1).error());
        assertEquals(RockerError.SERVER_UNADDR_INVALID, new RemoteRockerClient("").getGuardName(1).error());
        java.nio.file.Path file = Files.writeString(fixture.dir().resolve("plain"), "x");
        assertEquals(RockerError.SERVER_UNADDR_INVALID, new RemoteRockerClient(file.toString()).getGuardName(1).error());
        try {
            new RemoteRockerClient(file.toString()).list();
            fail();
        } catch (RockerException e) {
            assertEquals(RockerError.SERVER_UNADDR_INVALID, e.error());
        }
        RockerResult r = new RemoteRockerClient(fixture.dir().resolve("none.sock").toString())
                .enterRocker(Requests.valid(0, 0).build(), RockerApp.of("/bin/true"));
        assertEquals(RockerError.SERVER_UNADDR_INVALID, r.error());
        assertFalse(r.message().isEmpty());
    }
}
