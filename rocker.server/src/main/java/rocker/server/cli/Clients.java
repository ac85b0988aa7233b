package rocker.server.cli;

import rocker.api.RockerClient;

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
}
