package rocker.cli;

import java.util.List;
import java.util.Optional;

/**
 * The options of {@code rocker serve}: the socket path and the state dir; either may be null for "as
 * configured". With only a state dir, the socket is {@code <state dir>/rocker.sock}.
 *
 * @param socket the socket path or null
 * @param stateDir the state dir or null
 */
public record ServeOptions(String socket, String stateDir, Integer imageGraceSeconds) {
    /** Without --image-grace (the engine's configured grace). */
    public ServeOptions(String socket, String stateDir) {
        this(socket, stateDir, null);
    }

    static final String USAGE = String.join("\n",
            "Usage: rocker serve [--socket PATH] [--state-dir DIR] [--image-grace SECONDS]",
            "",
            "Runs the Rocker server (Felix with all bundles) in the foreground until SIGINT/SIGTERM.",
            "Rockers outlive it; a new server adopts them again.",
            "",
            "  --socket PATH     the Unix socket to listen on (default /run/rocker/rocker.sock,",
            "                    or DIR/rocker.sock with --state-dir DIR)",
            "  --state-dir DIR   the server's state dir (default /run/rocker)",
            "  --image-grace SECONDS",
            "                    how long an image's shared mount is kept once no rocker uses it",
            "                    (default 60; 0: released with its last rocker)",
            "  --help            this text");

    /** No overrides. */
    public static ServeOptions none() {
        return new ServeOptions(null, null);
    }

    /** The socket to use: the option, else {@code <state dir>/rocker.sock}, else {@code configured}. */
    public String socketOr(String configured) {
        if (socket != null) {
            return socket;
        }
        return stateDir != null ? stateDir.replaceAll("/+$", "") + "/rocker.sock" : configured;
    }

    /**
     * Parses {@code rocker serve} arguments (without "serve").
     *
     * @return empty when {@code --help} was asked for
     */
    static Optional<ServeOptions> parse(List<String> args) throws UsageException {
        String socket = null;
        String stateDir = null;
        Integer grace = null;
        ArgCursor c = new ArgCursor(args);
        while (c.hasNext()) {
            String o = c.option();
            if (o == null) {
                throw new UsageException("unexpected argument '" + c.next() + "'");
            }
            switch (o) {
                case "--socket": socket = nonEmpty(o, c.value()); break;
                case "--state-dir": stateDir = nonEmpty(o, c.value()); break;
                case "--image-grace": grace = seconds(o, c.value()); break;
                case "--help": case "-h": c.flag(); return Optional.empty();
                default: throw c.unknown();
            }
        }
        return Optional.of(new ServeOptions(socket, stateDir, grace));
    }

    private static int seconds(String option, String v) throws UsageException {
        try {
            int s = Integer.parseInt(v);
            if (s >= 0) return s;
        } catch (NumberFormatException e) {
            // below
        }
        throw new UsageException("option " + option + " '" + v + "': must be a number of seconds from 0 to 2147483647");
    }

    private static String nonEmpty(String option, String v) throws UsageException {
        if (v.isEmpty()) {
            throw new UsageException("option " + option + ": the value is empty");
        }
        return v;
    }
}
