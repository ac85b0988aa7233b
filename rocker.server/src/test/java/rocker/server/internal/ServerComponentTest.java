package rocker.server.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import rocker.client.RemoteRockerClient;
import rocker.server.ServerConfig;
import rocker.server.ServerStatus;
import rocker.server.testing.FakeEngine;

/** The server component's settings and lifecycle, without a framework (the config is a proxy). */
public class ServerComponentTest {
    private Path dir;

    @Before
    public void dir() throws IOException {
        dir = Files.createTempDirectory("rocker-comp");
    }

    @After
    public void clean() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    public void settingsComeFromTheConfig() {
        ServerConfig c = config(Map.of("trusted_uids", new int[] {7}, "socket_mode", "0600", "state_dir", "/tmp/st"));
        ServerSettings s = ServerSettingsFactory.of(c);
        assertEquals(Path.of("/run/rocker/rocker.sock"), s.socketPath());
        assertEquals(Path.of("/tmp/st"), s.stateDir());
        assertEquals(0600, s.socketMode());
        assertTrue(s.trustedUids().contains(7));
        try {
            ServerSettingsFactory.mode("0999");
            fail();
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("socket.mode '0999'"));
        }
    }

    @Test
    public void listensOnceConfiguredAndCleansUpOnDeactivate() throws Exception {
        Path socket = dir.resolve("r.sock");
        RockerServerComponent c = component(new FakeEngine());
        c.activate(config(Map.of("socket_path", socket.toString(), "state_dir", dir.resolve("st").toString())));
        assertEquals(ServerStatus.State.LISTENING, c.state());
        assertEquals(socket.toString(), c.detail());
        assertEquals("rw-rw-rw-", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        assertTrue(new RemoteRockerClient(socket.toString()).list().isEmpty());
        c.deactivate();
        assertEquals(ServerStatus.State.WAITING, c.state());
        assertFalse(Files.exists(socket));
    }

    @Test
    public void aNewConfigurationMovesTheSocket() throws Exception {
        Path socket = dir.resolve("r.sock");
        Path other = dir.resolve("other.sock");
        RockerServerComponent c = component(new FakeEngine());
        c.activate(config(Map.of("socket_path", socket.toString(), "state_dir", dir.toString())));
        c.modified(config(Map.of("socket_path", other.toString(), "state_dir", dir.toString())));
        assertEquals(ServerStatus.State.LISTENING, c.state());
        assertEquals(other.toString(), c.detail());
        assertFalse(Files.exists(socket));
        assertTrue(new RemoteRockerClient(other.toString()).list().isEmpty());
        c.deactivate();
        assertFalse(Files.exists(other));
    }

    @Test
    public void reportsWhyItCannotListen() throws Exception {
        Path socket = dir.resolve("r.sock");
        Files.writeString(socket, "not a socket");
        RockerServerComponent failing = component(new FakeEngine());
        failing.activate(config(Map.of("socket_path", socket.toString(), "state_dir", dir.toString())));
        assertEquals(ServerStatus.State.FAILED, failing.state());
        assertTrue(failing.detail(), failing.detail().contains("is not a socket"));
        failing.deactivate();
        assertEquals("the file it did not own stays", "not a socket", Files.readString(socket));
    }

    private static RockerServerComponent component(FakeEngine engine) throws ReflectiveOperationException {
        RockerServerComponent c = new RockerServerComponent();
        Field f = RockerServerComponent.class.getDeclaredField("engine");
        f.setAccessible(true);
        f.set(c, engine);
        return c;
    }

    /** A config whose members are the annotation's defaults unless given. */
    static ServerConfig config(Map<String, Object> values) {
        return (ServerConfig) Proxy.newProxyInstance(ServerConfig.class.getClassLoader(), new Class<?>[] {ServerConfig.class},
                (p, m, a) -> values.containsKey(m.getName()) ? values.get(m.getName()) : m.getDefaultValue());
    }
}
