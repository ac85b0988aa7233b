package rocker.cli;

import rocker.api.RockerClient;
import rocker.client.RemoteRockerClient;

/** Where the CLI gets its {@link RockerClient}s. */
public interface Clients {
    /**
     * The in-process engine ({@code rocker.transport=local}).
     *
     * @param stateDir its state dir ({@code --state-dir}), or null for the configured one
     * @throws rocker.api.RockerException when there is none, or {@code stateDir} cannot be honoured
     */
    RockerClient local(String stateDir);

    /** A client of the server at {@code socketPath}. */
    RockerClient remote(String socketPath);

    /**
     * The client of a command with neither {@code --socket} nor {@code --local}: by default the server at
     * {@link RemoteRockerClient#DEFAULT_SOCKET} (the Gogo commands: what their framework is configured with).
     *
     * @throws rocker.api.RockerException when there is none
     */
    default RockerClient standard() {
        return remote(RemoteRockerClient.DEFAULT_SOCKET);
    }
}
