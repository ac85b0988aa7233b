package rocker.cli;

import rocker.api.RockerClient;
import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.client.RemoteRockerClient;

/**
 * Which Rocker a command talks to: the server at a socket ({@code --socket}; without it
 * {@link Clients#standard()}, for the command line the server at {@link RemoteRockerClient#DEFAULT_SOCKET})
 * or the in-process engine ({@code --local}, root only).
 *
 * @param socket the socket path or null for the default
 * @param local whether to use the in-process engine
 * @param stateDir the in-process engine's state dir ({@code --state-dir}, only with {@code --local}), or null for
 *            its configured one (by default {@code /run/rocker}, a server's)
 */
record Target(String socket, boolean local, String stateDir) {
    static final String USAGE = "  --socket PATH     talk to the server at PATH (default " + RemoteRockerClient.DEFAULT_SOCKET + ")\n"
            + "  --local           use the engine in this process instead of a server (root only)\n"
            + "  --state-dir DIR   with --local: the engine's state dir, i.e. that of the server whose rockers it\n"
            + "                    shares (default /run/rocker)";

    /** Handles {@code --socket}/{@code --local} at the cursor; false when the option is another one. */
    static boolean accept(String option, ArgCursor c, Target[] target) throws UsageException {
        switch (option) {
            case "--socket":
                String s = c.value();
                if (s.isEmpty()) {
                    throw new UsageException("option --socket: the value is empty");
                }
                target[0] = target[0].withSocket(s);
                return true;
            case "--local":
                c.flag();
                target[0] = target[0].withLocal();
                return true;
            case "--state-dir":
                String d = c.value();
                java.nio.file.Path p = java.nio.file.Path.of(d).normalize();
                if (!p.isAbsolute() || p.getNameCount() < 2) {
                    // the engine keeps files there and hides it in every rocker: never "/" or a top-level dir
                    throw new UsageException("option --state-dir: '" + d + "' is not an absolute path below a top-level dir"
                            + " (e.g. /run/rocker)");
                }
                target[0] = new Target(target[0].socket, target[0].local, d);
                return true;
            default:
                return false;
        }
    }

    static Target initial() {
        return new Target(null, false, null);
    }

    private Target withSocket(String s) throws UsageException {
        if (local) {
            throw new UsageException("--socket and --local exclude each other");
        }
        return new Target(s, false, stateDir);
    }

    private Target withLocal() throws UsageException {
        if (socket != null) {
            throw new UsageException("--socket and --local exclude each other");
        }
        return new Target(null, true, stateDir);
    }

    /**
     * This target once every option is read: {@code --state-dir} only with {@code --local}, and for a command
     * that only looks ({@code mustExist}: ls, stats, kill) a dir that is there (a typo would make a new, empty
     * state dir).
     */
    Target checked(boolean mustExist) throws UsageException {
        if (stateDir != null && !local) {
            throw new UsageException("--state-dir needs --local (a server's state dir is its own: rocker serve --state-dir)");
        }
        if (stateDir != null && mustExist && !java.nio.file.Files.isDirectory(java.nio.file.Path.of(stateDir))) {
            throw new UsageException("option --state-dir: '" + stateDir + "' is no dir");
        }
        return this;
    }

    /** The client; for {@code --local} only when the caller is root. */
    RockerClient client(CliEnvironment env) {
        if (local) {
            if (env.identity().uid() != 0) {
                throw new RockerException(RockerError.SYS,
                        "--local needs root (the engine runs in this process); use the server instead");
            }
            return env.clients().local(stateDir);
        }
        return socket != null ? env.clients().remote(socket) : env.clients().standard();
    }

    /** What a command does with its client: its exit status. */
    @FunctionalInterface
    interface Call {
        int with(RockerClient client);
    }

    /** Runs {@code call} with this target's client ({@link #client}), and releases the client after. */
    int call(CliEnvironment env, Call call) {
        RockerClient client = client(env);
        try {
            return call.with(client);
        } finally {
            release(client);
        }
    }

    /** Releases a client made for one command. */
    private static void release(RockerClient client) {
        if (client instanceof RemoteRockerClient) {
            ((RemoteRockerClient) client).close();
        }
    }
}
