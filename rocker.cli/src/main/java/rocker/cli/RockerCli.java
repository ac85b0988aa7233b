package rocker.cli;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import rocker.api.RockerException;

/**
 * The {@code rocker} command line: arguments in, exit code out, output to the injected streams. It
 * runs in the launcher ({@code java -jar rocker.jar ...}), behind the Gogo commands and in tests.
 *
 * <p>Exit codes: 0 on success; for {@code run --wait} the app's status; 1 for {@code kill} of an
 * unknown rocker and for {@code stats} without figures; {@value #EXIT_FAILURE} when Rocker itself fails (also for a wrong command line),
 * with {@code rocker: <err>: <message>} on stderr.
 */
public final class RockerCli {
    /** Rocker's own failures. */
    public static final int EXIT_FAILURE = 125;
    /** Returned for {@code serve} when the server now runs until a signal ends the process. */
    public static final int KEEP_RUNNING = -1;

    static final String USAGE = String.join("\n",
            "Usage: rocker COMMAND [OPTIONS]",
            "",
            "  serve      run the Rocker server in the foreground",
            "  run        build a rocker and run a command in it",
            "  ls         list the live rockers",
            "  stats      show what a rocker uses now",
            "  kill       destroy a rocker",
            "  guardname  print the name of a process",
            "  pack       make a squashfs image of a folder",
            "",
            "'rocker COMMAND --help' tells more.");

    private final CliEnvironment env;

    public RockerCli(CliEnvironment env) {
        this.env = env;
    }

    /** Runs one command; never throws. */
    public int run(String... args) {
        if (args.length == 0) {
            env.err().println(USAGE);
            return EXIT_FAILURE;
        }
        String command = args[0];
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        try {
            return dispatch(command, rest);
        } catch (UsageException e) {
            env.err().println("rocker: param_invalid: " + e.getMessage());
            env.err().println("See 'rocker " + (isCommand(command) ? command + " " : "") + "--help'.");
        } catch (RockerException e) {
            env.err().println(ResultFormat.failure(e));
        } catch (RuntimeException e) {
            env.err().println("rocker: unknown: " + e);
        } finally {
            env.out().flush();
            env.err().flush();
        }
        return EXIT_FAILURE;
    }

    private int dispatch(String command, List<String> args) throws UsageException {
        switch (command) {
            case "serve": return serve(args);
            case "run": return new RunCommand(env).run(args);
            case "ls": return new ListCommand(env).run(args);
            case "stats": return new StatsCommand(env).run(args);
            case "kill": return new KillCommand(env).run(args);
            case "guardname": return new GuardnameCommand(env).run(args);
            case "pack": return new PackCommand(env).run(args);
            case "--help": case "-h": case "help":
                env.out().println(USAGE);
                return 0;
            default:
                throw new UsageException("unknown command '" + command + "'");
        }
    }

    private int serve(List<String> args) throws UsageException {
        Optional<ServeOptions> options = ServeOptions.parse(args);
        if (options.isEmpty()) {
            env.out().println(ServeOptions.USAGE);
            return 0;
        }
        return env.serve().serve(options.get());
    }

    private static boolean isCommand(String c) {
        return List.of("serve", "run", "ls", "stats", "kill", "guardname", "pack").contains(c);
    }
}
