package rocker.server;

import static org.junit.Assert.assertArrayEquals;
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
import java.util.Optional;
import java.util.stream.Stream;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.osgi.framework.BundleContext;

import rocker.server.cli.ServeOptions;
import rocker.server.client.RemoteRockerClient;
import rocker.server.internal.ServerSettings;
import rocker.server.testing.FakeEngine;

/** The server component's decisions and lifecycle, without a framework (context and config are proxies). */
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
    public void bindsOnlyWithoutACommandLineOrForServe() {
        assertEquals(Optional.of(ServeOptions.none()), ServeDecision.decide(false, null));
        assertEquals(Optional.empty(), ServeDecision.decide(true, null));
        assertEquals(Optional.of(ServeOptions.none()), ServeDecision.decide(true, new String[0]));
        assertEquals(Optional.of(new ServeOptions("/s", null)), ServeDecision.decide(true, new String[] {"serve", "--socket", "/s"}));
        assertEquals(Optional.empty(), ServeDecision.decide(true, new String[] {"ls"}));
        assertEquals(Optional.empty(), ServeDecision.decide(true, new String[] {"run", "--local", "--", "x"}));
    }

    @Test
    public void readsTheLauncherArguments() {
        assertArrayEquals(new String[] {"ls", "--json"}, LauncherArguments.of(Map.of("launcher.arguments", new String[] {"ls", "--json"})));
        assertArrayEquals(new String[0], LauncherArguments.of(Map.of()));
    }

    @Test
    public void settingsComeFromConfigAndServeOptions() {
        ServerConfig c = config(Map.of("trusted_uids", new int[] {7}, "socket_mode", "0600"));
        ServerSettings s = ServerSettingsFactory.of(c, new ServeOptions(null, "/tmp/st"));
        assertEquals(Path.of("/tmp/st/rocker.sock"), s.socketPath());
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
    public void listensInAPlainFrameworkAndCleansUpOnDeactivate() throws Exception {
        Path socket = dir.resolve("r.sock");
        RockerServerComponent c = component(new FakeEngine());
        c.activate(context(false), config(Map.of("socket_path", socket.toString(), "state_dir", dir.resolve("st").toString())));
        assertEquals(ServerStatus.State.LISTENING, c.state());
        assertEquals("rw-rw-rw-", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        assertTrue(new RemoteRockerClient(socket.toString()).list().isEmpty());
        c.deactivate();
        assertFalse(Files.exists(socket));
    }

    @Test
    public void underTheLauncherItWaitsForTheCommandLine() throws Exception {
        Path socket = dir.resolve("r.sock");
        Map<String, Object> cfg = Map.of("socket_path", socket.toString(), "state_dir", dir.toString());
        RockerServerComponent waiting = component(new FakeEngine());
        waiting.activate(context(true), config(cfg));
        assertEquals(ServerStatus.State.WAITING, waiting.state());

        RockerServerComponent ls = component(new FakeEngine());
        ls.bindLauncher(Map.of("launcher.arguments", new String[] {"ls"}));
        ls.activate(context(true), config(cfg));
        assertEquals(ServerStatus.State.NOT_SERVING, ls.state());
        assertFalse(Files.exists(socket));

        Path other = dir.resolve("other.sock");
        RockerServerComponent serve = component(new FakeEngine());
        serve.bindLauncher(Map.of("launcher.arguments", new String[] {"serve", "--socket", other.toString()}));
        serve.activate(context(true), config(cfg));
        assertEquals(ServerStatus.State.LISTENING, serve.state());
        assertEquals(other.toString(), serve.detail());
        serve.deactivate();

        Files.writeString(socket, "not a socket");
        RockerServerComponent failing = component(new FakeEngine());
        failing.activate(context(false), config(cfg));
        assertEquals(ServerStatus.State.FAILED, failing.state());
        assertTrue(failing.detail(), failing.detail().contains("is not a socket"));
    }

    private static RockerServerComponent component(FakeEngine engine) throws ReflectiveOperationException {
        RockerServerComponent c = new RockerServerComponent();
        Field f = RockerServerComponent.class.getDeclaredField("engine");
        f.setAccessible(true);
        f.set(c, engine);
        return c;
    }

    private static BundleContext context(boolean underLauncher) {
        return (BundleContext) Proxy.newProxyInstance(BundleContext.class.getClassLoader(), new Class<?>[] {BundleContext.class},
                (p, m, a) -> "getProperty".equals(m.getName()) && underLauncher && "launch.bundles".equals(a[0]) ? "x.jar" : null);
    }

    /** A config whose members are the annotation's defaults unless given. */
    static ServerConfig config(Map<String, Object> values) {
        return (ServerConfig) Proxy.newProxyInstance(ServerConfig.class.getClassLoader(), new Class<?>[] {ServerConfig.class},
                (p, m, a) -> values.containsKey(m.getName()) ? values.get(m.getName()) : m.getDefaultValue());
    }
}
