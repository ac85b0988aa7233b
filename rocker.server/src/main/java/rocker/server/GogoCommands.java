package rocker.server;

import java.time.Duration;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import rocker.api.RockerClient;
import rocker.server.cli.CliEnvironment;
import rocker.server.cli.RockerCli;

/**
 * The CLI in the Felix shell: {@code rocker:run}, {@code rocker:ls}, {@code rocker:stats},
 * {@code rocker:kill} and {@code rocker:guardname}, with the same options as the {@code rocker} command. Output goes to the
 * shell session; a non-zero exit status becomes an exception, which the shell reports.
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
    private final ServiceSlot<RockerClient> local = new ServiceSlot<>();

    @Reference(name = "local", target = "(rocker.transport=local)", cardinality = ReferenceCardinality.OPTIONAL,
            policy = ReferencePolicy.DYNAMIC)
    void bindLocal(RockerClient client) {
        local.set(client);
    }

    void unbindLocal(RockerClient client) {
        local.clear(client);
    }

    /** {@code rocker:run [OPTIONS] -- CMD [ARG...]}, see {@code rocker:run --help}. */
    public void run(String... args) {
        call("run", args);
    }

    /** {@code rocker:ls [--socket PATH | --local] [--json]}. */
    public void ls(String... args) {
        call("ls", args);
    }

    /** {@code rocker:stats [--socket PATH | --local] [--json] NAME}. */
    public void stats(String... args) {
        call("stats", args);
    }

    /** {@code rocker:kill [--socket PATH | --local] NAME|PID}. */
    public void kill(String... args) {
        call("kill", args);
    }

    /** {@code rocker:guardname PID}. */
    public void guardname(String... args) {
        call("guardname", args);
    }

    private void call(String command, String[] args) {
        String[] line = new String[args.length + 1];
        line[0] = command;
        System.arraycopy(args, 0, line, 1, args.length);
        CliEnvironment env = CliEnvironment.of(System.out, System.err, new OsgiClients(local, Duration.ZERO), false,
                options -> RockerCli.EXIT_FAILURE);
        int code = new RockerCli(env).run(line);
        if (code != 0) {
            throw new IllegalStateException("rocker:" + command + " exited with status " + code);
        }
    }
}
