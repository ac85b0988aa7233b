package rocker.server;

import java.io.IOException;
import java.util.Map;
import java.util.Optional;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import rocker.api.RockerClient;
import rocker.server.cli.ServeOptions;
import rocker.server.internal.ServerSettings;
import rocker.server.internal.UnixSocketServer;

/**
 * Hosts the Rocker server in the framework: binds the configured Unix socket and serves clients with
 * the in-process engine ({@code rocker.transport=local}). Stopping the component (or the bundle) closes
 * the socket and removes its file; rockers keep running, and the engine's registry lets the next server
 * find them again. Whether it binds at all is decided by {@link ServeDecision}.
 */
@Component(name = ServerConfig.PID, configurationPid = ServerConfig.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL, immediate = true, service = ServerStatus.class)
@Designate(ocd = ServerConfig.class)
public final class RockerServerComponent implements ServerStatus {
    private static final Logger LOG = LoggerFactory.getLogger(RockerServerComponent.class);

    /** Dynamic: an engine that is updated or reconfigured does not take the socket down with it. */
    @Reference(target = "(rocker.transport=local)", cardinality = ReferenceCardinality.OPTIONAL,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile RockerClient engine;

    private volatile String[] launcherArgs;
    private BundleContext context;
    private UnixSocketServer server;
    private volatile State state = State.WAITING;
    private volatile String detail = "waiting for the launcher's command line";

    /** The bnd launcher's service, when there is one; greedy, so its arrival re-activates this component. */
    @Reference(name = "launcher", service = Object.class, target = LauncherArguments.FILTER,
            cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
    void bindLauncher(Map<String, Object> properties) {
        launcherArgs = LauncherArguments.of(properties);
    }

    @Activate
    void activate(BundleContext ctx, ServerConfig config) {
        this.context = ctx;
        start(config);
    }

    @Modified
    void modified(ServerConfig config) {
        stop();
        start(config);
    }

    @Deactivate
    void deactivate() {
        stop();
    }

    @Override
    public State state() {
        return state;
    }

    @Override
    public String detail() {
        return detail;
    }

    private synchronized void start(ServerConfig config) {
        Optional<ServeOptions> serve = ServeDecision.decide(LauncherArguments.underBndLauncher(context), launcherArgs);
        if (serve.isEmpty()) {
            set(launcherArgs == null ? State.WAITING : State.NOT_SERVING,
                    launcherArgs == null ? "waiting for the launcher's command line" : "the command line is not 'serve'");
            LOG.debug("not listening: {}", detail);
            return;
        }
        try {
            ServerSettings settings = ServerSettingsFactory.of(config, serve.get());
            UnixSocketServer s = new UnixSocketServer(settings, new CurrentEngine(() -> engine));
            s.start();
            server = s;
            set(State.LISTENING, settings.socketPath().toString());
        } catch (IOException | RuntimeException e) {
            set(State.FAILED, "cannot listen: " + e.getMessage());
            LOG.error("the Rocker server cannot listen: {}", e.getMessage(), e);
        }
    }

    private synchronized void stop() {
        if (server != null) {
            server.close();
            server = null;
        }
        set(State.WAITING, "stopped");
    }

    private void set(State s, String d) {
        detail = d;
        state = s;
    }
}
