package rocker.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;

/**
 * What the CLI works with, injected so it can run in the launcher, in the Gogo shell and in tests.
 *
 * @param out the command's standard output
 * @param err the command's standard error
 * @param clients where the local and remote clients come from
 * @param identity the caller (for default uid/gid and the root check of {@code --local})
 * @param procStat reads process names for {@code guardname}
 * @param squashfs makes images for {@code pack}
 * @param clock for uptimes
 * @param cwd against which relative host paths are resolved
 * @param processStdio whether {@code out}/{@code err} are this process's fd 1/2, so that an in-process
 *        engine may hand them to the app directly ({@code Stdio.inherit()})
 * @param serve runs {@code rocker serve}
 */
public record CliEnvironment(PrintStream out, PrintStream err, Clients clients, Identity identity,
        ProcStat procStat, Squashfs squashfs, Clock clock, Path cwd, boolean processStdio, ServeHandler serve) {

    /** Runs the server for {@code rocker serve}. */
    @FunctionalInterface
    public interface ServeHandler {
        /** An exit code, or {@link RockerCli#KEEP_RUNNING} when the server now runs until a signal. */
        int serve(ServeOptions options);
    }

    public CliEnvironment {
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(err, "err");
        Objects.requireNonNull(clients, "clients");
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(procStat, "procStat");
        Objects.requireNonNull(squashfs, "squashfs");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(cwd, "cwd");
        Objects.requireNonNull(serve, "serve");
    }

    /** The environment of a real process: this process's identity, /proc, PATH, clock and cwd. */
    public static CliEnvironment of(PrintStream out, PrintStream err, Clients clients, boolean processStdio, ServeHandler serve) {
        return new CliEnvironment(out, err, clients, Identity.ofThisProcess(), new ProcStat(), new Squashfs(),
                Clock.systemUTC(), Path.of("").toAbsolutePath(), processStdio, serve);
    }
}
