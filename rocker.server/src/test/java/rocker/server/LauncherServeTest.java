package rocker.server;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.Dictionary;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

import rocker.server.cli.RockerCli;
import rocker.server.cli.ServeOptions;

/** {@code rocker serve} in the launcher, with the framework's services as test doubles. */
public class LauncherServeTest {
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final ServiceSlot<ServerStatus> status = new ServiceSlot<>();
    private final ServiceSlot<ConfigurationAdmin> cm = new ServiceSlot<>();

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
    public void reportsWhereItListens() {
        status.set(status(ServerStatus.State.LISTENING, "/run/x.sock"));
        assertEquals(RockerCli.KEEP_RUNNING, serve().serve(ServeOptions.none()));
        assertEquals("rocker: serving on /run/x.sock\n", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    public void reportsWhyItCannotListen() {
        status.set(status(ServerStatus.State.FAILED, "cannot listen: another server is listening on /s"));
        assertEquals(RockerCli.EXIT_FAILURE, serve().serve(ServeOptions.none()));
        assertEquals("rocker: sys: cannot listen: another server is listening on /s\n", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    public void givesTheStateDirToTheEngine() {
        AtomicReference<Dictionary<String, ?>> updated = new AtomicReference<>();
        Configuration config = proxy(Configuration.class, (m, a) -> {
            if ("update".equals(m)) {
                updated.set((Dictionary<String, ?>) a[0]);
            }
            return null;
        });
        cm.set(proxy(ConfigurationAdmin.class, (m, a) -> {
            if (!"getConfiguration".equals(m) || !EngineStateDir.ENGINE_PID.equals(a[0])) {
                fail(m);
            }
            return config;
        }));
        status.set(status(ServerStatus.State.LISTENING, "/tmp/st/rocker.sock"));
        assertEquals(RockerCli.KEEP_RUNNING, serve().serve(new ServeOptions(null, "/tmp/st")));
        assertEquals("/tmp/st", updated.get().get("stateDir"));
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
