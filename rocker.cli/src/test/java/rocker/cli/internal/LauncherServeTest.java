package rocker.cli.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.Map;

import org.junit.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

import rocker.cli.RockerCli;
import rocker.cli.ServeOptions;
import rocker.server.ServerStatus;

/** {@code rocker serve} in the launcher, with the framework's services as test doubles. */
public class LauncherServeTest {
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final ServiceSlot<ServerStatus> status = new ServiceSlot<>();
    private final ServiceSlot<ConfigurationAdmin> cm = new ServiceSlot<>();
    /** ConfigAdmin's configurations by PID (null: never updated), and how many updates each got. */
    private final Map<String, Dictionary<String, Object>> configs = new HashMap<>();
    private final Map<String, Integer> updates = new HashMap<>();

    {
        cm.set(proxy(ConfigurationAdmin.class, (m, a) -> "getConfiguration".equals(m) ? configuration((String) a[0]) : null));
    }

    private Configuration configuration(String pid) {
        return proxy(Configuration.class, (m, a) -> {
            switch (m) {
                case "getProperties":
                    return configs.get(pid) == null ? null : copy(configs.get(pid));
                case "update":
                    configs.put(pid, copy(cast(a[0])));
                    updates.merge(pid, 1, Integer::sum);
                    return null;
                case "updateIfDifferent":
                    if (cast(a[0]).equals(configs.get(pid))) {
                        return false;
                    }
                    configs.put(pid, copy(cast(a[0])));
                    updates.merge(pid, 1, Integer::sum);
                    return true;
                default:
                    throw new AssertionError(m);
            }
        });
    }

    @SuppressWarnings("unchecked")
    private static Dictionary<String, Object> cast(Object d) {
        return (Dictionary<String, Object>) d;
    }

    private static Dictionary<String, Object> copy(Dictionary<String, Object> d) {
        Hashtable<String, Object> c = new Hashtable<>();
        for (String k : java.util.Collections.list(d.keys())) {
            c.put(k, d.get(k));
        }
        return c;
    }

    private LauncherServe serve() {
        BundleContext context = proxy(BundleContext.class, (m, a) -> "getBundle".equals(m) ? proxy(Bundle.class, (m2, a2) -> null) : null);
        return new LauncherServe(context, status, cm, new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private static ServerStatus status(ServerStatus.State s, String detail) {
        return new ServerStatus() {
            @Override
            public State state() {
                return s;
            }

            @Override
            public String detail() {
                return detail;
            }
        };
    }

    @Test
    public void configuresTheServerAndReportsWhereItListens() {
        status.set(status(ServerStatus.State.LISTENING, "/run/x.sock"));
        assertEquals(RockerCli.KEEP_RUNNING, serve().serve(ServeOptions.none()));
        assertEquals("rocker: serving on /run/x.sock\n", err.toString(StandardCharsets.UTF_8));
        // the server listens only once configured: serve makes the configuration, with the defaults
        assertEquals(new Hashtable<>(), configs.get("rocker.server"));
        assertNull("the engine keeps its configuration", configs.get(EngineStateDir.ENGINE_PID));
    }

    @Test
    public void reportsWhyItCannotListen() {
        status.set(status(ServerStatus.State.FAILED, "cannot listen: another server is listening on /s"));
        assertEquals(RockerCli.EXIT_FAILURE, serve().serve(ServeOptions.none()));
        assertEquals("rocker: sys: cannot listen: another server is listening on /s\n", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    public void givesTheStateDirToTheEngineAndTheServer() {
        status.set(status(ServerStatus.State.LISTENING, "/tmp/st/rocker.sock"));
        assertEquals(RockerCli.KEEP_RUNNING, serve().serve(new ServeOptions(null, "/tmp/st")));
        assertEquals("/tmp/st", configs.get(EngineStateDir.ENGINE_PID).get("stateDir"));
        assertEquals("/tmp/st/rocker.sock", configs.get("rocker.server").get("socket.path"));
        assertEquals("/tmp/st", configs.get("rocker.server").get("state.dir"));
        assertEquals(null, configs.get(EngineStateDir.ENGINE_PID).get("imageGraceSeconds"));
        assertEquals(RockerCli.KEEP_RUNNING, serve().serve(new ServeOptions(null, "/tmp/st", 0)));
        assertEquals(0, configs.get(EngineStateDir.ENGINE_PID).get("imageGraceSeconds"));
    }

    @Test
    public void theOptionsGoOnTopOfTheServersConfiguration() {
        Hashtable<String, Object> given = new Hashtable<>(Map.of("socket.path", "/srv/r.sock", "socket.mode", "0660"));
        configs.put("rocker.server", given);
        status.set(status(ServerStatus.State.LISTENING, "/srv/r.sock"));
        assertEquals(RockerCli.KEEP_RUNNING, serve().serve(ServeOptions.none()));
        assertEquals("an existing configuration that serve does not change is left alone", null, updates.get("rocker.server"));

        assertEquals(RockerCli.KEEP_RUNNING, serve().serve(new ServeOptions("/srv/rocker/s.sock", null)));
        assertEquals(Map.of("socket.path", "/srv/rocker/s.sock", "socket.mode", "0660"), Map.copyOf(toMap(configs.get("rocker.server"))));
        assertTrue("the socket's dir is hidden in rockers",
                java.util.Arrays.asList((String[]) configs.get(EngineStateDir.ENGINE_PID).get("hiddenPaths")).contains("/srv/rocker"));

        assertEquals(RockerCli.KEEP_RUNNING, serve().serve(new ServeOptions(null, "/var/st")));
        assertEquals("/var/st/rocker.sock", configs.get("rocker.server").get("socket.path"));
    }

    /**
     * A {@code --local} command makes its engine one-shot (no spares, no look at the image holders every 30 s);
     * a {@code serve} after it on a lasting configuration store (felix.cm.dir) is not one-shot. The spare guards
     * stay as configured: a server may be meant to have none.
     */
    @Test
    public void aServeAfterALocalCommandOnALastingStoreIsNotOneShot() throws Exception {
        ConfigurationAdmin admin = proxy(ConfigurationAdmin.class, (m, a) -> "getConfiguration".equals(m) ? configuration((String) a[0]) : null);
        EngineStateDir.oneShot(admin, "/var/st");
        Dictionary<String, Object> engine = configs.get(EngineStateDir.ENGINE_PID);
        assertEquals(Boolean.TRUE, engine.get(EngineStateDir.ONE_SHOT));
        assertEquals(0, engine.get(EngineStateDir.SPARE_GUARDS));
        assertEquals("/var/st", engine.get("stateDir"));

        status.set(status(ServerStatus.State.LISTENING, "/var/st/rocker.sock"));
        assertEquals(RockerCli.KEEP_RUNNING, serve().serve(new ServeOptions(null, "/var/st")));
        engine = configs.get(EngineStateDir.ENGINE_PID);
        assertNull("serve's engine is not one-shot", engine.get(EngineStateDir.ONE_SHOT));
        assertEquals(0, engine.get(EngineStateDir.SPARE_GUARDS));
    }

    private static Map<String, Object> toMap(Dictionary<String, Object> d) {
        Map<String, Object> m = new HashMap<>();
        for (String k : java.util.Collections.list(d.keys())) {
            m.put(k, d.get(k));
        }
        return m;
    }

    @SuppressWarnings("unchecked")
    private static <T> T proxy(Class<T> type, java.util.function.BiFunction<String, Object[], Object> body) {
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (p, m, a) -> {
            if (m.getDeclaringClass() == Object.class) {
                return "equals".equals(m.getName()) ? p == a[0] : "hashCode".equals(m.getName()) ? System.identityHashCode(p) : type.getSimpleName();
            }
            Object r = body.apply(m.getName(), a);
            if (r == null && m.getReturnType() == boolean.class) {
                return false;
            }
            return r;
        });
    }
}
