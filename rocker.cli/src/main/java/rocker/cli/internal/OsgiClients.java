package rocker.cli.internal;

import java.time.Duration;
import java.util.function.Supplier;

import rocker.api.RockerClient;
import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.cli.Clients;
import rocker.client.RemoteRockerClient;

/**
 * The CLI's clients in a framework: the engine's service for {@code --local}, a new remote client for
 * {@code --socket}; without either, the server at the default socket (the launcher) or what
 * {@code standard} gives (the Gogo commands: what the framework is configured with).
 */
final class OsgiClients implements Clients {
    private final ServiceSlot<RockerClient> local;
    private final Duration patience;
    private final Supplier<RockerClient> standard;

    OsgiClients(ServiceSlot<RockerClient> local, Duration patience) {
        this(local, patience, null);
    }

    OsgiClients(ServiceSlot<RockerClient> local, Duration patience, Supplier<RockerClient> standard) {
        this.local = local;
        this.patience = patience;
        this.standard = standard;
    }

    @Override
    public RockerClient local() {
        try {
            RockerClient c = local.await(patience);
            if (c != null) {
                return c;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        throw new RockerException(RockerError.SYS, "no in-process engine (RockerClient with rocker.transport=local) is active");
    }

    @Override
    public RockerClient remote(String socketPath) {
        return new RemoteRockerClient(socketPath);
    }

    @Override
    public RockerClient standard() {
        return standard != null ? standard.get() : Clients.super.standard();
    }
}
