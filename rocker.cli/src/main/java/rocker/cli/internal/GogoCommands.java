package rocker.cli.internal;

import java.time.Duration;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import rocker.api.RockerClient;
import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.cli.CliEnvironment;
import rocker.cli.RockerCli;
import rocker.client.RemoteRockerClient;
import rocker.server.ServerStatus;

/**
 * The CLI in the Felix shell: {@code rocker:run}, {@code rocker:ls}, {@code rocker:stats},
 * {@code rocker:kill} and {@code rocker:guardname}, with the same options as the {@code rocker} command. Output goes to the
 * shell session; a non-zero exit status becomes an exception, which the shell reports.
 *
 * <p>Without {@code --socket} or {@code --local} a command talks to what this framework is configured
 * with, never to a built-in default: the remote {@code RockerClient} service ({@code rocker.transport=remote},
 * PID {@code rocker.remote}), else the server of this framework (PID {@code rocker.server}) through its
 * socket, else the engine in this framework ({@code rocker.transport=local}).
 */
@Component(name = "rocker.gogo", service = GogoCommands.class, property = {
    "osgi.command.scope=rocker",
    "osgi.command.function=run",
    "osgi.command.function=ls",
    "osgi.command.function=stats",
    "osgi.command.function=kill",
    "osgi.command.function=guardname"
})
public final class GogoCommands {
    static final String NOTHING_CONFIGURED = "no Rocker server is configured in this framework (PID rocker.remote or"
            + " rocker.server) and no engine (rocker.transport=local) is active: give --socket PATH";
    private static final String ARGS = "options and arguments as for the rocker command; --help lists them";

    private final ServiceSlot<RockerClient> local = new ServiceSlot<>();
    private final ServiceSlot<RockerClient> remote = new ServiceSlot<>();
    private final ServiceSlot<ServerStatus> server = new ServiceSlot<>();

    @Reference(name = "local", target = "(rocker.transport=local)", cardinality = ReferenceCardinality.OPTIONAL,
            policy = ReferencePolicy.DYNAMIC)
    void bindLocal(RockerClient client) {
        local.set(client);
    }

    void unbindLocal(RockerClient client) {
        local.clear(client);
    }

    @Reference(name = "remote", target = "(rocker.transport=remote)", cardinality = ReferenceCardinality.OPTIONAL,
            policy = ReferencePolicy.DYNAMIC)
    void bindRemote(RockerClient client) {
        remote.set(client);
    }

    void unbindRemote(RockerClient client) {
        remote.clear(client);
    }

    @Reference(name = "server", cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void bindServer(ServerStatus status) {
        server.set(status);
    }

    void unbindServer(ServerStatus status) {
        server.clear(status);
    }

    @Descriptor("build a rocker and run a command in it (rocker:run --help)")
    public void run(@Descriptor("[--socket PATH | --local] --pkg FILE --exec-dir DIR --data-dir DIR [OPTIONS] -- CMD [ARG...]; "
            + ARGS) String... args) {
        call("run", args);
    }

    @Descriptor("list the live rockers (rocker:ls --help)")
    public void ls(@Descriptor("[--socket PATH | --local] [--json]; " + ARGS) String... args) {
        call("ls", args);
    }

    @Descriptor("show what a rocker uses now (rocker:stats --help)")
    public void stats(@Descriptor("[--socket PATH | --local] [--json] NAME; " + ARGS) String... args) {
        call("stats", args);
    }

    @Descriptor("destroy a rocker (rocker:kill --help)")
    public void kill(@Descriptor("[--socket PATH | --local] NAME|PID; " + ARGS) String... args) {
        call("kill", args);
    }

    @Descriptor("print the name of a process (rocker:guardname --help)")
    public void guardname(@Descriptor("PID") String... args) {
        call("guardname", args);
    }

    private void call(String command, String[] args) {
        String[] line = new String[args.length + 1];
        line[0] = command;
        System.arraycopy(args, 0, line, 1, args.length);
        CliEnvironment env = CliEnvironment.of(System.out, System.err, new OsgiClients(local, Duration.ZERO, this::configured), false,
                options -> RockerCli.EXIT_FAILURE);
        int code = new RockerCli(env).run(line);
        if (code != 0) {
            throw new IllegalStateException("rocker:" + command + " exited with status " + code);
        }
    }

    /** The Rocker this framework is configured with (see the class comment). */
    private RockerClient configured() {
        try {
            RockerClient r = remote.await(Duration.ZERO);
            if (r != null) {
                return r;
            }
            ServerStatus s = server.await(Duration.ZERO);
            if (s != null && s.state() == ServerStatus.State.LISTENING) {
                return new RemoteRockerClient(s.detail());
            }
            RockerClient l = local.await(Duration.ZERO);
            if (l != null) {
                return l;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        throw new RockerException(RockerError.SYS, NOTHING_CONFIGURED);
    }
}
