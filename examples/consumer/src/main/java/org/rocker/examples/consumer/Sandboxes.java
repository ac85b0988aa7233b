package org.rocker.examples.consumer;

import java.nio.file.Path;
import java.util.List;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import rocker.api.RockerApp;
import rocker.api.RockerClient;
import rocker.api.RockerError;
import rocker.api.RockerInfo;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;

/**
 * An app manager's view of Rocker: start an app from an image, list the live rockers, stop one. A DS
 * component with one static reference to a {@link RockerClient}: whichever Rocker registers (the local engine,
 * {@code rocker.transport=local}, or a server's remote client, {@code rocker.transport=remote}; filter on
 * that property with a reference target to pick one).
 */
@Component(service = Sandboxes.class)
public class Sandboxes {
    private final RockerClient rocker;

    @Activate
    public Sandboxes(@Reference RockerClient rocker) {
        this.rocker = rocker;
    }

    /** Runs {@code command} from {@code image} (mounted on {@code execDir}), writes going to {@code dataDir}; the guard's name. */
    public String start(int appId, Path image, Path execDir, Path dataDir, String... command) {
        RockerRequest request = RockerRequest.builder().appId(appId).uid(1000).gid(1000)
                .pkgPath(image.toString()).execDir(execDir.toString()).dataDir(dataDir.toString())
                .build();
        RockerResult r = rocker.enterRocker(request, RockerApp.of(command));
        if (r.error() != RockerError.SUCCESS) {
            throw new IllegalStateException("rocker " + appId + " did not start: " + r);
        }
        return r.guardName();
    }

    /** The guard names of the live rockers. */
    public List<String> live() {
        return rocker.list().stream().map(RockerInfo::guardName).toList();
    }

    /** Stops a rocker and everything in it. */
    public boolean stop(String guardName) {
        return rocker.destroy(guardName).error() == RockerError.SUCCESS;
    }
}
