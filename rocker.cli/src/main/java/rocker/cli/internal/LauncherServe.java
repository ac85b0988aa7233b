package rocker.cli.internal;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.launch.Framework;
import org.osgi.service.cm.ConfigurationAdmin;

import rocker.cli.CliEnvironment;
import rocker.cli.RockerCli;
import rocker.cli.ServeOptions;
import rocker.server.ServerConfig;
import rocker.server.ServerStatus;

/**
 * {@code rocker serve} in the launcher: configures the server (PID {@code rocker.server}, which listens
 * only when configured: {@link ServerConfiguration}) with {@code --socket} and {@code --state-dir}; points
 * the engine at {@code --state-dir} when given and has it hide the dir of {@code --socket} inside every
 * rocker (docs/engine.md, {@link EngineStateDir}); waits until the server reports listening or failing,
 * and makes SIGINT/SIGTERM/SIGHUP stop the framework in order, so that the socket file is removed (and
 * then the JVM's private temp dir, {@link LauncherTmp}). Rockers are separate processes and live on.
 */
final class LauncherServe implements CliEnvironment.ServeHandler {
    private static final Duration PATIENCE = Duration.ofSeconds(30);
    /**
     * The most a stop waits for the framework to stop (it takes well under a second: docs/launcher.md);
     * past it the JVM ends anyway, below a service manager's own time-out.
     */
    private static final long STOP_MILLIS = LauncherTmp.STOP_MILLIS;

    private final BundleContext context;
    private final ServiceSlot<ServerStatus> status;
    private final ServiceSlot<ConfigurationAdmin> configAdmin;
    private final PrintStream err;
    private final LauncherTmp tmp;

    LauncherServe(BundleContext context, ServiceSlot<ServerStatus> status, ServiceSlot<ConfigurationAdmin> configAdmin,
            PrintStream err) {
        this(context, status, configAdmin, err, null);
    }

    /** {@code tmp}: the JVM's private temp dir (null: none), removed only once the framework has stopped. */
    LauncherServe(BundleContext context, ServiceSlot<ServerStatus> status, ServiceSlot<ConfigurationAdmin> configAdmin,
            PrintStream err, LauncherTmp tmp) {
        this.context = context;
        this.status = status;
        this.configAdmin = configAdmin;
        this.err = err;
        this.tmp = tmp;
    }

    @Override
    public int serve(ServeOptions options) {
        String socketDir = options.socket() == null ? null : socketDir(options.socket());
        if (!configure(options, socketDir)) {
            return RockerCli.EXIT_FAILURE;
        }
        long end = System.nanoTime() + PATIENCE.toNanos();
        try {
            while (System.nanoTime() < end) {
                ServerStatus s = status.await(Duration.ofMillis(200));
                if (s != null && s.state() == ServerStatus.State.LISTENING) {
                    stopFrameworkOnSignal();
                    err.println("rocker: serving on " + s.detail());
                    return RockerCli.KEEP_RUNNING;
                }
                if (s != null && s.state() == ServerStatus.State.FAILED) {
                    err.println("rocker: sys: " + s.detail());
                    return RockerCli.EXIT_FAILURE;
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        err.println("rocker: sys: the server did not start within " + PATIENCE.toSeconds()
                + " s: is the engine (rocker.transport=local) active? 'rocker serve' needs root");
        return RockerCli.EXIT_FAILURE;
    }

    /**
     * The dir of --socket, for the engine to hide inside rockers; null (with a warning) for "/" or a
     * top-level dir such as /tmp or /run, which the engine never hides.
     */
    private String socketDir(String socket) {
        Path dir = Path.of(socket).toAbsolutePath().normalize().getParent();
        if (dir == null || dir.getNameCount() < 2) {
            err.println("rocker: warning: the socket's dir " + dir + " is not hidden inside rockers (Rocker hides no top-level"
                    + " dir): give the socket a dir of its own, e.g. --socket " + (dir == null ? "" : dir.toString().replaceAll("/$", ""))
                    + "/rocker/rocker.sock");
            return null;
        }
        return dir.toString();
    }

    /**
     * The engine keeps its registry in the state dir: give it the one of --state-dir; and it hides the
     * socket's dir inside every rocker. Then the server's own configuration, which makes it listen.
     */
    private boolean configure(ServeOptions options, String socketDir) {
        try {
            ConfigurationAdmin cm = configAdmin.await(Duration.ofSeconds(10));
            if (cm == null) {
                err.println("rocker: sys: serve needs ConfigAdmin (the server listens once configured), which is not active");
                return false;
            }
            if (options.stateDir() != null || socketDir != null || options.imageGraceSeconds() != null) {
                try {
                    EngineStateDir.apply(cm, options.stateDir(), socketDir, options.imageGraceSeconds());
                } catch (IOException e) {
                    err.println("rocker: sys: cannot configure the engine's state dir and hidden paths: " + e.getMessage());
                    return false;
                }
            }
            ServerConfiguration.apply(cm, options);
            return true;
        } catch (IOException e) {
            err.println("rocker: sys: cannot configure the server (PID " + ServerConfig.PID + "): " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    private void stopFrameworkOnSignal() {
        Bundle system = context.getBundle(0);
        if (tmp != null && system instanceof Framework) {
            tmp.afterStopOf((Framework) system);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                system.stop();
                if (system instanceof Framework) {
                    ((Framework) system).waitForStop(STOP_MILLIS);
                }
                awaitExitCall(frameworkWaiter());
            } catch (BundleException | InterruptedException | IllegalStateException e) {
                // the JVM is going down anyway
            }
        }, "rocker-serve-shutdown"));
    }

    /**
     * The bnd launcher's thread that waits for the framework to stop ({@code FrameworkWaiter}) then calls
     * System.exit(117). While the hooks run, that call waits for the exit under way (the signal's: 130, 129,
     * 143); made after the hooks ended it would halt at once with 117 instead. So the hook ends only once that
     * thread is blocked in the call (or gone), within a second: the framework has stopped by then, so it
     * takes microseconds. (Until 2026-12-01 the hook watched the launcher's main thread, which waits in
     * {@code handleMainCallable} for a callable no bundle registers: it waited out the second every time.)
     */
    private static void awaitExitCall(Thread waiter) throws InterruptedException {
        long end = System.nanoTime() + 1_000_000_000L;
        while (waiter != null && waiter.isAlive() && waiter.getState() != Thread.State.BLOCKED && System.nanoTime() < end) {
            Thread.sleep(1);
        }
    }

    /** The bnd launcher's {@code FrameworkWaiter} thread, or null. */
    private static Thread frameworkWaiter() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("FrameworkWaiter")).findFirst()
                .orElse(null);
    }
}
