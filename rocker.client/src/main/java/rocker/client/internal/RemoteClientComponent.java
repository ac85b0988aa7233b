package rocker.client.internal;

import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;

import rocker.api.RockerApp;
import rocker.api.RockerClient;
import rocker.api.RockerInfo;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.client.RemoteRockerClient;

/**
 * The {@link RemoteRockerClient} as a {@link RockerClient} service with {@code rocker.transport=remote},
 * present only while configuration {@value RemoteClientConfig#PID} exists. An application uses the
 * same service type whether the engine runs in its framework or in a privileged server process.
 */
@Component(name = RemoteClientConfig.PID, configurationPid = RemoteClientConfig.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, property = "rocker.transport=remote")
@Designate(ocd = RemoteClientConfig.class)
public final class RemoteClientComponent implements RockerClient {
    private final RemoteRockerClient client;

    @Activate
    public RemoteClientComponent(RemoteClientConfig config) {
        this.client = new RemoteRockerClient(config.socket_path(), Duration.ofMillis(config.response_timeout_ms()));
    }

    @Deactivate
    void deactivate() {
        client.close();
    }

    @Override
    public RockerResult enterRocker(RockerRequest request, RockerApp app) {
        return client.enterRocker(request, app);
    }

    @Override
    public RockerResult getGuardName(int pid) {
        return client.getGuardName(pid);
    }

    @Override
    public RockerResult destroy(String guardName) {
        return client.destroy(guardName);
    }

    @Override
    public RockerResult destroy(int guardPid, String expectedName) {
        return client.destroy(guardPid, expectedName);
    }

    @Override
    public List<RockerInfo> list() {
        return client.list();
    }

    @Override
    public OptionalInt waitForApp(String guardName, Duration timeout) {
        return client.waitForApp(guardName, timeout);
    }
}
