package rocker.client.internal;

import java.time.Duration;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;

import rocker.api.RockerClient;
import rocker.client.RemoteRockerClient;

/**
 * The {@link RemoteRockerClient} itself as a {@link RockerClient} service with {@code rocker.transport=remote}
 * (it extends the client rather than forwarding each call, so no call of the interface can be missed),
 * present only while configuration {@value RemoteClientConfig#PID} exists. An application uses the
 * same service type whether the engine runs in its framework or in a privileged server process.
 */
@Component(service = RockerClient.class, name = RemoteClientConfig.PID, configurationPid = RemoteClientConfig.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, property = "rocker.transport=remote")
@Designate(ocd = RemoteClientConfig.class)
public final class RemoteClientComponent extends RemoteRockerClient {
    @Activate
    public RemoteClientComponent(RemoteClientConfig config) {
        super(config.socket_path(), Duration.ofMillis(config.response_timeout_ms()));
    }

    @Deactivate
    void deactivate() {
        close();
    }
}
