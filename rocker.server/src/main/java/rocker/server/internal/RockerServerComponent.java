package rocker.server.internal;

import java.io.IOException;

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
import rocker.server.ServerConfig;
import rocker.server.ServerStatus;

/**
 * Hosts the Rocker server in the framework: binds the configured Unix socket and serves clients with
 * the in-process engine ({@code rocker.transport=local}). Configuration policy REQUIRE: without a
 * configuration of PID {@value ServerConfig#PID} there is no component and no socket ({@code rocker serve}
 * makes that configuration). Stopping the component (deleting the configuration, stopping the bundle)
 * closes the socket and removes its file; rockers keep running, and the engine's registry lets the next
 * server find them again.
 */
@Component(name = ServerConfig.PID, configurationPid = ServerConfig.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true, service = ServerStatus.class)
@Designate(ocd = ServerConfig.class)
public final class RockerServerComponent implements ServerStatus {
    private static final Logger LOG = LoggerFactory.getLogger(RockerServerComponent.class);

    /** Dynamic: an engine that is updated or reconfigured does not take the socket down with it. */
    @Reference(target = "(rocker.transport=local)", cardinality = ReferenceCardinality.OPTIONAL,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile RockerClient engine;

    private UnixSocketServer server;
    private volatile State state = State.WAITING;
    private volatile String detail = "not started";

    @Activate
    void activate(ServerConfig config) {
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
        try {
            ServerSettings settings = ServerSettingsFactory.of(config);
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
