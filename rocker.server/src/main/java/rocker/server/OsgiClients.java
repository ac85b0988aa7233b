package rocker.server;

import java.time.Duration;

import rocker.api.RockerClient;
import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.server.cli.Clients;
import rocker.server.client.RemoteRockerClient;

/** The CLI's clients in a framework: the engine's service for {@code --local}, a new remote client otherwise. */
final class OsgiClients implements Clients {
    private final ServiceSlot<RockerClient> local;
    private final Duration patience;

    OsgiClients(ServiceSlot<RockerClient> local, Duration patience) {
        this.local = local;
        this.patience = patience;
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
}
