package rocker.cli;

import java.util.List;

import rocker.api.RockerResult;

/** {@code rocker guardname PID}: the seed's {@code ROCKER_get_guardname}, read from /proc, no engine needed. */
final class GuardnameCommand {
    static final String USAGE = String.join("\n",
            "Usage: rocker guardname PID",
            "",
            "Prints the name (comm) of process PID, read from /proc/PID/stat.",
            "",
            "  --help            this text");

    private final CliEnvironment env;

    GuardnameCommand(CliEnvironment env) {
        this.env = env;
    }

    int run(List<String> args) throws UsageException {
        if (ArgCursor.onlyHelp(args)) {
            env.out().println(USAGE);
            return 0;
        }
        if (args.size() != 1) {
            throw new UsageException(args.isEmpty() ? "missing PID" : "expected one PID, got " + args);
        }
        int pid;
        try {
            pid = Integer.parseInt(args.get(0));
        } catch (NumberFormatException e) {
            pid = -1;
        }
        if (pid <= 0) {
            throw new UsageException("PID '" + args.get(0) + "' is not a positive number");
        }
        RockerResult r = env.procStat().guardName(pid);
        if (!r.isSuccess()) {
            env.err().println(ResultFormat.failure(r));
            return RockerCli.EXIT_FAILURE;
        }
        env.out().println(r.guardName());
        return 0;
    }
}
