package rocker.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import rocker.api.RockerClient;
import rocker.client.RemoteRockerClient;
import rocker.server.testing.FakeEngine;

/** Runs the CLI against a {@link FakeEngine} (or a real socket) and captures what it prints. */
final class CliHarness {
    static final Instant NOW = Instant.parse("2024-05-01T12:00:00Z");

    final FakeEngine local = new FakeEngine();
    final List<String> remoteSockets = new ArrayList<>();
    /** The state dir each use of the in-process engine asked for (null: the configured one). */
    final List<String> localStateDirs = new ArrayList<>();
    final List<ServeOptions> served = new ArrayList<>();
    Identity identity = new Identity(0, 0);
    Path proc = Path.of("/proc");
    Squashfs squashfs = new Squashfs();
    Path cwd = Path.of("/work/dir");
    /** When set, remote() gives a real client of this socket; else the fake. */
    Path realSocket;
    int status;
    private ByteArrayOutputStream out = new ByteArrayOutputStream();
    private ByteArrayOutputStream err = new ByteArrayOutputStream();

    int run(String... args) {
        out = new ByteArrayOutputStream();
        err = new ByteArrayOutputStream();
        Clients clients = new Clients() {
            @Override
            public RockerClient local(String stateDir) {
                localStateDirs.add(stateDir);
                return local;
            }

            @Override
            public RockerClient remote(String socketPath) {
                remoteSockets.add(socketPath);
                return realSocket != null ? new RemoteRockerClient(realSocket.toString()) : local;
            }
        };
        CliEnvironment env = new CliEnvironment(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), clients, identity, new ProcStat(proc), squashfs,
                Clock.fixed(NOW, ZoneOffset.UTC), cwd, false, o -> {
                    served.add(o);
                    return RockerCli.KEEP_RUNNING;
                });
        status = new RockerCli(env).run(args);
        return status;
    }

    /** Runs and checks the exit status, reporting this run's output when it differs. */
    void expect(int expected, String... args) {
        int actual = run(args);
        if (actual != expected) {
            throw new AssertionError("exit status " + actual + " instead of " + expected + "\nout: " + out() + "\nerr: " + err());
        }
    }

    String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    Optional<ServeOptions> lastServed() {
        return served.isEmpty() ? Optional.empty() : Optional.of(served.get(served.size() - 1));
    }
}
