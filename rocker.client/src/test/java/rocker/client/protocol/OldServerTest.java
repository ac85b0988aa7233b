package rocker.client.protocol;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import rocker.api.RockerApp;
import rocker.api.RockerError;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.api.SharedDir;
import rocker.client.RemoteRockerClient;
import rocker.client.remote.UnixTransport;
import rocker.client.testing.Requests;

/** The remote client against a server that speaks version 1 only: it asks again in version 1 and stays there. */
public class OldServerTest {
    private Path dir;
    private Path socket;
    private ServerSocketChannel listener;
    private Thread server;
    /** The version of every request the old server received. */
    private final List<Integer> versions = new CopyOnWriteArrayList<>();

    @Before
    public void listen() throws IOException {
        dir = Files.createTempDirectory("rocker-old");
        socket = dir.resolve("s.sock");
        listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        listener.bind(UnixDomainSocketAddress.of(socket));
        server = new Thread(this::serve, "old-server");
        server.setDaemon(true);
        server.start();
    }

    @After
    public void close() throws Exception {
        listener.close();
        server.join(5000);
        Files.deleteIfExists(socket);
        Files.deleteIfExists(dir);
    }

    /** Answers like a version-1 server: a refusal for any other version, else a RESULT or an empty INFOS. */
    private void serve() {
        while (true) {
            try (SocketChannel ch = listener.accept(); FrameChannel c = new FrameChannel(new UnixTransport(ch, 100))) {
                Deadline d = Deadline.in(Duration.ofSeconds(5));
                Frame f = c.read(1 << 20, d);
                int version = f.body().getShort(0) & 0xffff;
                versions.add(version);
                if (version != 1) {
                    c.write(Protocol.RESULT, ReplyCodec.result(RockerResult.failure(RockerError.PARAM_INVALID,
                            "bad request: protocol version " + version + " is not supported (this side speaks 1)"), 1), d);
                } else if (f.type() == Protocol.LIST) {
                    c.write(Protocol.INFOS, new WireWriter().i32(0).toBuffer(), d);
                } else {
                    c.write(Protocol.RESULT, ReplyCodec.result(RockerResult.success(0, 42, "old", "hi"), 1), d);
                }
            } catch (IOException | RuntimeException e) {
                return; // closed
            }
        }
    }

    @Test
    public void theClientFallsBackToVersionOne() {
        RemoteRockerClient client = new RemoteRockerClient(socket.toString(), Duration.ofSeconds(10));
        assertEquals(2, client.protocolVersion());
        RockerResult r = client.getGuardName(42);
        assertTrue(r.toString(), r.isSuccess());
        assertEquals("old", r.guardName());
        assertEquals(1, client.protocolVersion());
        assertEquals(List.of(), client.list());
        assertEquals(List.of(2, 1, 1), versions);
    }

    @Test
    public void limitsAndStatsAreNeverSentInVersionOne() {
        RemoteRockerClient client = new RemoteRockerClient(socket.toString(), Duration.ofSeconds(10));
        RockerApp app = RockerApp.builder().command("/bin/true").build();
        RockerResult r = client.enterRocker(Requests.valid(0, 0).memoryLimit(64L << 20).build(), app);
        assertEquals(RockerError.PARAM_INVALID, r.error());
        assertEquals("memory '67108864': protocol version 1 cannot carry this field, and the server at " + socket
                + " speaks only version 1: the request is not sent without it (upgrade the server)", r.message());
        assertEquals(List.of(2), versions);
        // the old server cannot tell a rocker's figures: empty, and STATS is not sent in version 1
        assertEquals(java.util.Optional.empty(), client.stats("old"));
        assertEquals(List.of(2, 2), versions);
        // the default limits fall back as before; STATS is asked in version 2 again after the fall-back
        assertTrue(client.enterRocker(Requests.valid(0, 0).build(), app).isSuccess());
        assertEquals(1, client.protocolVersion());
        assertEquals(java.util.Optional.empty(), client.stats("old"));
        assertEquals(List.of(2, 2, 2, 1, 2), versions);
        // a client told to speak version 1 does not ask at all
        assertEquals(java.util.Optional.empty(), new RemoteRockerClient(socket.toString(), Duration.ofSeconds(10), 1).stats("old"));
        assertEquals(5, versions.size());
    }

    @Test
    public void devicesAndSharedDirsAreNeverSentAgainInVersionOne() {
        RemoteRockerClient client = new RemoteRockerClient(socket.toString(), Duration.ofSeconds(10));
        RockerApp app = RockerApp.builder().command("/bin/true").build();
        RockerResult r = client.enterRocker(Requests.valid(0, 0).addDevice("/dev/ttyUSB0").build(), app);
        assertEquals(RockerError.PARAM_INVALID, r.error());
        assertEquals("devices '[/dev/ttyUSB0]': protocol version 1 cannot carry this field, and the server at " + socket
                + " speaks only version 1: the request is not sent without it (upgrade the server)", r.message());
        assertEquals(List.of(2), versions);
        // a request without them falls back as before; the client stays with version 1 for those
        assertTrue(client.enterRocker(Requests.valid(0, 0).build(), app).isSuccess());
        assertEquals(List.of(2, 2, 1), versions);
        assertEquals(1, client.protocolVersion());
        // but asks again in version 2 for a share (the server may have been upgraded since)
        r = client.enterRocker(Requests.valid(0, 0).addSharedDir(SharedDir.readOnly("/srv/in")).build(), app);
        assertEquals(RockerError.PARAM_INVALID, r.error());
        assertTrue(r.message(), r.message().startsWith("shared_dirs '[/srv/in:ro]': protocol version 1 cannot carry this field, and"));
        assertEquals(List.of(2, 2, 1, 2), versions);
        assertTrue(client.destroy("old").isSuccess());
        assertEquals(List.of(2, 2, 1, 2, 1), versions);
    }

    @Test
    public void seccompIsNeverSentAgainInVersionOne() {
        RemoteRockerClient client = new RemoteRockerClient(socket.toString(), Duration.ofSeconds(10));
        RockerApp app = RockerApp.builder().command("/bin/true").build();
        RockerResult r = client.enterRocker(Requests.valid(0, 0).seccomp("unconfined").build(), app);
        assertEquals(RockerError.PARAM_INVALID, r.error());
        assertEquals("seccomp 'unconfined': protocol version 1 cannot carry this field, and the server at " + socket
                + " speaks only version 1: the request is not sent without it (upgrade the server)", r.message());
        assertEquals(List.of(2), versions);
        // Rocker's default filter falls back as before, and the client stays with version 1 for it
        assertTrue(client.enterRocker(Requests.valid(0, 0).build(), app).isSuccess());
        assertEquals(List.of(2, 2, 1), versions);
        // a profile is asked for in version 2 again
        r = client.enterRocker(Requests.valid(0, 0).seccomp("/etc/rocker/app.json").build(), app);
        assertEquals(RockerError.PARAM_INVALID, r.error());
        assertTrue(r.message(), r.message().startsWith("seccomp '/etc/rocker/app.json': protocol version 1 cannot carry this field, and"));
        assertEquals(List.of(2, 2, 1, 2), versions);
    }

    @Test
    public void aClientToldToSpeakVersionOneSendsNoSeccomp() {
        assertNotSentInVersionOne(Requests.valid(0, 0).seccomp("/etc/rocker/app.json").build(), "seccomp '/etc/rocker/app.json'");
    }

    @Test
    public void aClientToldToSpeakVersionOneSendsNoDevices() {
        assertNotSentInVersionOne(Requests.valid(0, 0).addDevice("/dev/ttyUSB0").build(), "devices '[/dev/ttyUSB0]'");
    }

    /** A client told to speak version 1 refuses {@code request} for its {@code field}, without asking the server. */
    private void assertNotSentInVersionOne(RockerRequest request, String field) {
        RemoteRockerClient client = new RemoteRockerClient(socket.toString(), Duration.ofSeconds(10), 1);
        RockerResult r = client.enterRocker(request, RockerApp.builder().command("/bin/true").build());
        assertEquals(RockerError.PARAM_INVALID, r.error());
        assertEquals(field + ": protocol version 1 cannot carry this field (this connection speaks version 1)", r.message());
        assertEquals(List.of(), versions);
    }

    @Test
    public void aClientToldToSpeakVersionOneDoesSoAtOnce() {
        RemoteRockerClient client = new RemoteRockerClient(socket.toString(), Duration.ofSeconds(10), 1);
        assertTrue(client.destroy("old").isSuccess());
        assertEquals(List.of(1), versions);
    }
}
