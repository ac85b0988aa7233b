package rocker.impl.linux;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;

import rocker.api.RockerClient;

/**
 * The local {@link RockerClient} service ({@code rocker.transport=local}, ranked 100 so that a plain
 * {@code @Reference RockerClient} picks it over the remote client when both are there): the {@link RockerEngine}
 * itself, configured through ConfigAdmin. Deactivating it (bundle stop, update) leaves every rocker
 * running; the next activation adopts them from the registry in the state dir.
 */
@Component(service = {RockerClient.class, rocker.api.RockerPreparer.class}, configurationPid = LinuxRockerComponent.PID,
        property = {"rocker.transport=local", "service.vendor=Rocker", "service.ranking:Integer=100"})
@Designate(ocd = EngineConfig.class)
public final class LinuxRockerComponent extends RockerEngine {
    static final String PID = "rocker.engine";

    @Activate
    public LinuxRockerComponent(EngineConfig config, BundleContext context) {
        super(Path.of(config.stateDir()), () -> GuardBinary.locate(config.guardPath(), context.getBundle(), Path.of(config.stateDir())),
                Duration.ofMillis(config.destroyTimeoutMillis()), config.spareGuards(),
                config.hiddenPaths() == null ? List.of() : List.of(config.hiddenPaths()),
                config.cgroupParent() == null || config.cgroupParent().isEmpty() ? "rocker" : config.cgroupParent());
        imageGrace(Duration.ofSeconds(config.imageGraceSeconds()));
        imageCopyLimit(Math.max(0, (long) config.imageCopyMaxMiB()) << 20);
        if (config.imageCopyDir() != null && !config.imageCopyDir().isEmpty()) imageCopyDir(Path.of(config.imageCopyDir()));
        oneShot(config.oneShot());
        events = new EventAdminEvents(context, this);
    }

    /** Every EventAdmin there gets the lifecycle events (tracked by name: resolving needs none). */
    private final EventAdminEvents events;

    @Deactivate
    void deactivate() {
        events.close();
        close();
    }
}
