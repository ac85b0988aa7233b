package rocker.cli;

import rocker.api.RockerClient;
import rocker.client.RemoteRockerClient;

/** Where the CLI gets its {@link RockerClient}s. */
public interface Clients {
    /**
     * The in-process engine ({@code rocker.transport=local}).
     *
     * @throws rocker.api.RockerException when there is none
     */
    RockerClient local();

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
