package rocker.impl.linux;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;

import rocker.api.RockerApp;
import rocker.api.RockerCaller;
import rocker.api.RockerClient;
import rocker.api.RockerInfo;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.api.RockerStats;

/**
 * The local {@link RockerClient} service ({@code rocker.transport=local}): the {@link RockerEngine}
 * configured through ConfigAdmin. Deactivating it (bundle stop, update) leaves every rocker running;
 * the next activation adopts them from the registry in the state dir.
 */
@Component(service = RockerClient.class, configurationPid = LinuxRockerComponent.PID,
        property = {"rocker.transport=local", "service.vendor=Rocker"})
@Designate(ocd = EngineConfig.class)
public final class LinuxRockerComponent implements RockerClient {
    static final String PID = "rocker.engine";

    private final RockerEngine engine;

    @Activate
    public LinuxRockerComponent(EngineConfig config, BundleContext context) {
        Path stateDir = Path.of(config.stateDir());
        this.engine = new RockerEngine(stateDir, () -> GuardBinary.locate(config.guardPath(), context.getBundle(), stateDir),
                Duration.ofMillis(config.destroyTimeoutMillis()), config.spareGuards(),
                config.hiddenPaths() == null ? List.of() : List.of(config.hiddenPaths()),
                config.cgroupParent() == null || config.cgroupParent().isEmpty() ? "rocker" : config.cgroupParent());
    }

    @Deactivate
    void deactivate() {
        engine.close();
    }

    @Override
    public RockerResult enterRocker(RockerRequest request, RockerApp app) {
        return engine.enterRocker(request, app);
    }

    @Override
    public RockerResult enterRocker(RockerRequest request, RockerApp app, RockerCaller caller) {
        return engine.enterRocker(request, app, caller);
    }

    @Override
    public RockerResult getGuardName(int pid) {
        return engine.getGuardName(pid);
    }

    @Override
    public RockerResult destroy(String guardName) {
        return engine.destroy(guardName);
    }

    @Override
    public RockerResult destroy(int guardPid, String expectedName) {
        return engine.destroy(guardPid, expectedName);
    }

    @Override
    public java.util.Optional<RockerStats> stats(String guardName) {
        return engine.stats(guardName);
    }

    @Override
    public List<RockerInfo> list() {
        return engine.list();
    }

    @Override
    public OptionalInt waitForApp(String guardName, Duration timeout) {
        return engine.waitForApp(guardName, timeout);
    }
}
