package rocker.cli;

import java.util.List;
import java.util.Optional;

import rocker.api.RockerClient;
import rocker.api.RockerError;
import rocker.api.RockerInfo;
import rocker.api.RockerResult;

/**
 * {@code rocker kill NAME|PID}: destroys one rocker through the engine's safe destroy (name checked,
 * pidfd). A name takes one round trip; a number is a guard pid, looked up among the listed rockers first.
 */
final class KillCommand {
    /** Exit status when there is no such rocker. */
    static final int NOT_FOUND = 1;
    static final String USAGE = String.join("\n",
            "Usage: rocker kill [--socket PATH | --local] NAME|PID",
            "",
            "Destroys the rocker whose guard has this name, or this pid (a number): its processes, mounts",
            "and loop device go; its data dir is kept. Prints the name of the rocker destroyed.",
            "",
            Target.USAGE,
            "  --help            this text",
            "",
            "Exit status: 0 when done, 1 when there is no such rocker, 125 when Rocker fails.");

    private final CliEnvironment env;

    KillCommand(CliEnvironment env) {
        this.env = env;
    }

    int run(List<String> args) throws UsageException {
        Optional<ClientOptions> o = ClientOptions.parse(args, false, "NAME or PID");
        if (o.isEmpty()) {
            env.out().println(USAGE);
            return 0;
        }
        return o.get().target().call(env, client -> kill(client, o.get().operand()));
    }

    private int kill(RockerClient client, String which) {
        boolean pid = which.chars().allMatch(Character::isDigit);
        if (!pid) {
            // one round trip: the engine finds the live rocker of that name, or says there is none
            RockerResult r = client.destroy(which);
            if (r.error() == RockerError.PARAM_INVALID) {
                env.err().println("rocker: no such rocker: " + which);
                return NOT_FOUND;
            }
            return done(r, which);
        }
        // a pid: only one of the listed rockers' guards, so its name is checked with the kill
        Optional<RockerInfo> found = client.list().stream()
                .filter(i -> Integer.toString(i.guardPid()).equals(which))
                .findFirst();
        if (found.isEmpty()) {
            env.err().println("rocker: no such rocker: guard pid " + which);
            return NOT_FOUND;
        }
        RockerInfo info = found.get();
        return done(client.destroy(info.guardPid(), info.guardName()), info.guardName());
    }

    /** Prints the name of the rocker destroyed, or why it was not. */
    private int done(RockerResult r, String name) {
        if (!r.isSuccess()) {
            env.err().println(ResultFormat.failure(r));
            return RockerCli.EXIT_FAILURE;
        }
        env.out().println(name);
        return 0;
    }
}
