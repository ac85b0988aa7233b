package rocker.cli;

import java.util.List;

/**
 * Walks a subcommand's arguments. Options are {@code --name VALUE} or {@code --name=VALUE}; {@code --}
 * ends the options. Errors name the option and the value.
 */
final class ArgCursor {
    private final List<String> args;
    private int at;
    private String inline;
    private String option;

    ArgCursor(List<String> args) {
        this.args = args;
    }

    /** Whether {@code args} are just {@code --help} (or {@code -h}): for the commands that take operands only. */
    static boolean onlyHelp(List<String> args) {
        return args.size() == 1 && ("--help".equals(args.get(0)) || "-h".equals(args.get(0)));
    }

    boolean hasNext() {
        return at < args.size();
    }

    /** The next raw argument, not consumed. */
    String peek() {
        return args.get(at);
    }

    /** The next raw argument. */
    String next() {
        return args.get(at++);
    }

    /** The arguments not consumed yet. */
    List<String> rest() {
        List<String> r = args.subList(at, args.size());
        at = args.size();
        return r;
    }

    /**
     * Reads the next argument as an option and returns its name ({@code --name}); an inline
     * {@code =VALUE} is kept for {@link #value()}. Returns null for a non-option argument, which is then
     * not consumed.
     */
    String option() {
        String a = args.get(at);
        if (!a.startsWith("-") || a.equals("-") || a.equals("--")) {
            return null;
        }
        at++;
        int eq = a.indexOf('=');
        option = eq > 0 ? a.substring(0, eq) : a;
        inline = eq > 0 ? a.substring(eq + 1) : null;
        return option;
    }

    /** The value of the current option: inline, or the next argument. */
    String value() throws UsageException {
        if (inline != null) {
            return inline;
        }
        if (at >= args.size()) {
            throw new UsageException("option " + option + " needs a value");
        }
        return args.get(at++);
    }

    /** The value of the current option as a number 0 or more. */
    int number() throws UsageException {
        String v = value();
        try {
            int n = Integer.parseInt(v);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new UsageException("option " + option + ": '" + v + "' is not a number from 0 to " + Integer.MAX_VALUE);
    }

    /** Checks that the current option, a flag, got no inline value. */
    void flag() throws UsageException {
        if (inline != null) {
            throw new UsageException("option " + option + " takes no value (got '" + inline + "')");
        }
    }

    UsageException unknown() {
        return new UsageException("unknown option '" + option + "'");
    }
}
