package rocker.cli.internal;

import java.time.Duration;
import java.util.Map;

import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import rocker.api.RockerClient;
import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.cli.CliEnvironment;
import rocker.cli.RockerCli;
import rocker.server.ServerStatus;

/**
 * The {@code rocker} command line of the executable launcher jar: activated by the bnd launcher's
 * service (property {@code launcher.arguments}), it runs the command on its own thread and ends the JVM
 * with the command's exit code. With no arguments it does nothing (a plain framework); for
 * {@code serve} the JVM keeps running until SIGINT/SIGTERM.
 */
@Component(name = "rocker.cli", immediate = true, service = {})
public final class LauncherCliComponent {
    private static final Logger LOG = LoggerFactory.getLogger(LauncherCliComponent.class);
    private static final Duration LOCAL_PATIENCE = Duration.ofSeconds(10);

    private final ServiceSlot<RockerClient> local = new ServiceSlot<>();
    private final ServiceSlot<ServerStatus> status = new ServiceSlot<>();
    private final ServiceSlot<ConfigurationAdmin> configAdmin = new ServiceSlot<>();
    private String[] args = new String[0];

    @Reference(name = "launcher", service = Object.class, target = LauncherArguments.READY_FILTER)
    void bindLauncher(Map<String, Object> properties) {
        args = LauncherArguments.of(properties);
    }

    /**
     * Only a one-shot engine (no spares, see {@link #oneShotEngine}): so the engine is not activated with its
     * defaults when this component starts (a command that never says {@code --local} activates none), and a
     * {@code --local} command's engine is activated once, as configured.
     */
    @Reference(name = "local", target = "(&(rocker.transport=local)(" + EngineStateDir.SPARE_GUARDS + "=0)(" + EngineStateDir.ONE_SHOT + "=true))",
            cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void bindLocal(RockerClient client) {
        local.set(client);
    }

    void unbindLocal(RockerClient client) {
        local.clear(client);
    }

    @Reference(name = "status", cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void bindStatus(ServerStatus s) {
        status.set(s);
    }

    void unbindStatus(ServerStatus s) {
        status.clear(s);
    }

    @Reference(name = "configAdmin", cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void bindConfigAdmin(ConfigurationAdmin cm) {
        configAdmin.set(cm);
    }

    void unbindConfigAdmin(ConfigurationAdmin cm) {
        configAdmin.clear(cm);
    }

    @Activate
    void activate(BundleContext context) {
        // ./rocker gave this JVM a temp dir of its own (java.io.tmpdir, holding the framework storage): it
        // goes when the JVM ends, whatever the command (docs/launcher.md)
        LauncherTmp tmp = LauncherTmp.removeOnExit(System.getProperty("java.io.tmpdir"));
        if (args.length == 0) {
            LOG.debug("no command line: not a CLI run");
            return;
        }
        String[] command = args.clone();
        Thread t = new Thread(() -> run(context, command, tmp), "rocker-cli");
        t.start();
    }

    private void run(BundleContext context, String[] command, LauncherTmp tmp) {
        int code;
        OsgiClients clients = new OsgiClients(local, LOCAL_PATIENCE).beforeLocal(this::oneShotEngine);
        try {
            CliEnvironment env = CliEnvironment.of(System.out, System.err, clients, true,
                    new LauncherServe(context, status, configAdmin, System.err, tmp));
            code = new RockerCli(env).run(command);
        } catch (RuntimeException | Error e) {
            System.err.println("rocker: unknown: " + e);
            code = RockerCli.EXIT_FAILURE;
        }
        if (code != RockerCli.KEEP_RUNNING) {
            System.out.flush();
            System.err.flush();
            try {
                RockerClient engine = clients.localUsed();
                if (engine != null) stop(engine);
            } finally {
                System.exit(code);
            }
        }
    }

    /**
     * Configures the in-process engine for one command ({@code --local}): its state dir when the command gives
     * one ({@code --state-dir}), and no spare guards and no spare image holder, which it would make after its
     * first build only to end them at its stop, and no look at the image holders every 30 s (their grace is a
     * server's). The engine's service then carries {@code spareGuards=0} and {@code oneShot=true}, which the
     * {@code local} reference waits for.
     */
    private void oneShotEngine(String stateDir) {
        try {
            ConfigurationAdmin cm = configAdmin.await(LOCAL_PATIENCE);
            if (cm == null) throw new RockerException(RockerError.SYS, "cannot configure the in-process engine: no ConfigurationAdmin");
            EngineStateDir.oneShot(cm, stateDir);
        } catch (java.io.IOException | RuntimeException e) {
            if (e instanceof RockerException) throw (RockerException) e;
            throw new RockerException(RockerError.SYS, "cannot configure the in-process engine: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RockerException(RockerError.SYS, "interrupted while configuring the in-process engine");
        }
    }

    /**
     * The in-process engine ({@code --local}) is stopped as a server's is, before System.exit: its bundle is
     * stopped (transiently), which deactivates it, so that e.g. the shared mount of an image whose last rocker
     * this command killed is released when no other engine (a server) lives on the state dir: its holder and
     * loop device otherwise stayed until some server's stop. The framework itself is not stopped: that would
     * race the bnd launcher's own exit status.
     */
    private static void stop(RockerClient engine) {
        org.osgi.framework.Bundle b = org.osgi.framework.FrameworkUtil.getBundle(engine.getClass());
        if (b == null) return;
        try {
            b.stop(org.osgi.framework.Bundle.STOP_TRANSIENT);
        } catch (org.osgi.framework.BundleException | RuntimeException e) {
            LOG.warn("the in-process engine was not stopped: {}", e.toString());
        }
    }
}
