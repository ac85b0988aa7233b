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
    /** The in-process engine a command used ({@code --local}), or null. */
    private volatile RockerClient localUsed;

    /**
     * Runs once, with the command's {@code --state-dir} (or null), before the in-process engine is first
     * awaited: the launcher makes it a one-shot engine there. Null: the framework's engine as configured.
     */
    private java.util.function.Consumer<String> beforeLocal;

    OsgiClients(ServiceSlot<RockerClient> local, Duration patience) {
        this(local, patience, null);
    }

    OsgiClients(ServiceSlot<RockerClient> local, Duration patience, Supplier<RockerClient> standard) {
        this.local = local;
        this.patience = patience;
        this.standard = standard;
    }

    /** {@code before} runs once, with the command's state dir (or null), before the in-process engine is first awaited. */
    OsgiClients beforeLocal(java.util.function.Consumer<String> before) {
        this.beforeLocal = before;
        return this;
    }

    /** The in-process engine a command used ({@code --local}), or null: it is stopped cleanly before the JVM ends. */
    RockerClient localUsed() {
        return localUsed;
    }

    @Override
    public RockerClient local(String stateDir) {
        java.util.function.Consumer<String> before;
        synchronized (this) {
            before = beforeLocal;
            beforeLocal = null;
        }
        if (before != null) {
            before.accept(stateDir);
        } else if (stateDir != null) {
            throw new RockerException(RockerError.PARAM_INVALID, "--state-dir '" + stateDir + "': only the command line's own engine takes one;"
                    + " this framework's engine has its state dir configured (PID rocker.engine, stateDir)");
        }
        try {
            RockerClient c = local.await(patience);
            if (c != null) {
                localUsed = c;
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
