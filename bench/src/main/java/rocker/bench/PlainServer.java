package rocker.bench;

import java.lang.reflect.Method;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

import rocker.api.RockerClient;
import rocker.impl.linux.RockerEngine;

/**
 * {@code java -cp ... rocker.bench.PlainServer SOCKET STATE_DIR GUARD}: the engine and the Unix socket
 * server of rocker.server on a plain class path, no OSGi; the bench's fallback when the launcher jar is
 * not usable. The server classes are reached by reflection: they are rocker.server's internals, and a
 * change there must make this fallback fail at run time, not break the bench's build. Runs until
 * SIGTERM; rockers live on (the bench destroys its own first).
 */
public final class PlainServer {
    private PlainServer() {
    }

    public static void main(String[] args) throws Exception {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        Path socket = Path.of(args[0]);
        Path stateDir = Path.of(args[1]);
        RockerEngine engine = new RockerEngine(stateDir.resolve("engine"), () -> args[2], Duration.ofSeconds(10), 2);
        Class<?> settingsClass = Class.forName("rocker.server.internal.ServerSettings");
        Object builder = settingsClass.getMethod("builder").invoke(null);
        builder.getClass().getMethod("socketPath", Path.class).invoke(builder, socket);
        builder.getClass().getMethod("stateDir", Path.class).invoke(builder, stateDir);
        Object settings = builder.getClass().getMethod("build").invoke(builder);
        Class<?> serverClass = Class.forName("rocker.server.internal.UnixSocketServer");
        Object server = serverClass.getConstructor(settingsClass, RockerClient.class).newInstance(settings, engine);
        Method close = serverClass.getMethod("close");
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                close.invoke(server);
            } catch (ReflectiveOperationException e) {
                // going down anyway
            }
            engine.close();
            stopped.countDown();
        }));
        serverClass.getMethod("start").invoke(server);
        System.err.println("plain server: serving on " + socket);
        stopped.await();
    }
}
