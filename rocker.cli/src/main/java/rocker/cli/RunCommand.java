package rocker.cli;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import rocker.api.RockerApp;
import rocker.api.RockerClient;
import rocker.api.RockerResult;
import rocker.api.Stdio;

/** {@code rocker run}: builds a rocker, starts the app, and with {@code --wait} waits for it. */
final class RunCommand {
    private static final Duration WAIT_STEP = Duration.ofMinutes(1);

    private final CliEnvironment env;

    RunCommand(CliEnvironment env) {
        this.env = env;
    }

    int run(List<String> args) throws UsageException {
        Optional<RunOptions> parsed = RunOptions.parse(args, env.cwd());
        if (parsed.isEmpty()) {
            env.out().println(RunOptions.USAGE);
            return 0;
        }
        RunOptions o = parsed.get();
        return o.target.call(env, client -> run(client, o));
    }

    private int run(RockerClient client, RunOptions o) {
        RockerResult r = client.enterRocker(o.request(env.identity()), app(o));
        if (o.json) {
            env.out().println(ResultFormat.json(r));
            env.out().flush();
        }
        if (!r.isSuccess()) {
            env.err().println(ResultFormat.failure(r));
            return RockerCli.EXIT_FAILURE;
        }
        if (!o.waitForApp) {
            if (!o.json) {
                env.out().println(ResultFormat.text(r));
            }
            return 0;
        }
        return waitFor(client, r.guardName());
    }

    /**
     * The app: without {@code --wait}, or with {@code --json}, its output goes to the data dir's logs;
     * with {@code --wait} it comes here (inherited fds for the in-process engine, else streamed).
     */
    private RockerApp app(RunOptions o) {
        RockerApp.Builder b = RockerApp.builder().command(o.command).stdin(Stdio.discard());
        if (!o.waitForApp || o.json) {
            return b.stdout(Stdio.log()).stderr(Stdio.log()).build();
        }
        if (o.target.local() && env.processStdio()) {
            return b.stdout(Stdio.inherit()).stderr(Stdio.inherit()).build();
        }
        return b.stdout(Stdio.stream(new NonClosingOutputStream(env.out())))
                .stderr(Stdio.stream(new NonClosingOutputStream(env.err()))).build();
    }

    private int waitFor(RockerClient client, String guardName) {
        while (true) {
            OptionalInt status = client.waitForApp(guardName, WAIT_STEP);
            if (status.isPresent()) {
                env.out().flush();
                env.err().flush();
                return status.getAsInt();
            }
        }
    }
}
