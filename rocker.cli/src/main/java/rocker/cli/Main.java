package rocker.cli;

import java.io.PrintStream;

import rocker.api.RockerClient;
import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.client.RemoteRockerClient;

/**
 * The client commands without a framework: {@code java -cp rocker.api.jar:rocker.client.jar:rocker.cli.jar
 * rocker.cli.Main COMMAND ...}. {@code ./rocker} runs this for {@code run}, {@code ls}, {@code stats},
 * {@code kill}, {@code guardname}, {@code pack} and the help texts, unless {@code --local} is given; it
 * starts the launcher ({@code java -jar rocker.jar}) for {@code serve}, {@code --local} and no command
 * (docs/launcher.md, "Client commands without a framework"). It is the same {@link RockerCli} with the
 * same texts and exit codes; the clients are {@link RemoteRockerClient}s of {@code --socket} or the
 * default socket, exactly as in the launcher. Only the JDK and the three jars are needed: no OSGi, no
 * engine, no native library, no logging back end.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        System.out.flush();
        System.err.flush();
        System.exit(code);
    }

    /** Runs one command on {@code out}/{@code err} (this process's fd 1/2 in {@link #main}); never throws. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        try {
            CliEnvironment env = CliEnvironment.of(out, err, new PlainClients(), true, new NoServe());
            return new RockerCli(env).run(args);
        } catch (RuntimeException | Error e) {
            err.println("rocker: unknown: " + e);
            return RockerCli.EXIT_FAILURE;
        }
    }

    /**
     * {@code serve} runs the engine and the server: the launcher's. (A class, not a lambda: no lambda
     * bootstrap at start-up.)
     */
    static final class NoServe implements CliEnvironment.ServeHandler {
        @Override
        public int serve(ServeOptions options) {
            throw new RockerException(RockerError.SYS, "serve needs the launcher: java -jar rocker.jar serve (./rocker serve)");
        }
    }

    /** Remote clients only: the in-process engine is the launcher's ({@code --local}). */
    static final class PlainClients implements Clients {
        @Override
        public RockerClient local(String stateDir) {
            throw new RockerException(RockerError.SYS,
                    "no in-process engine without the launcher: java -jar rocker.jar (./rocker starts it for --local)");
        }

        @Override
        public RockerClient remote(String socketPath) {
            return new RemoteRockerClient(socketPath);
        }
    }
}
