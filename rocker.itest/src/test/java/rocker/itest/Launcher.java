package rocker.itest;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The launcher jar this build exported (cnf/target/rocker.jar), run as users run it: `rocker serve` and
 * the client commands as processes of their own.
 */
final class Launcher {
    static final Path JAR = Path.of("..", "cnf", "target", "rocker.jar").toAbsolutePath().normalize();
    /** A rocker's name in the output of {@code ls --json} and {@code run --json}. */
    static final Pattern NAME = Pattern.compile("\"guard_name\":\"(rk[a-z2-7]{13})\"");

    private Launcher() {
    }

    /** The outcome of one `rocker` command: exit code, output (bytes as they are, ISO-8859-1) and time. */
    record Run(int code, String out, String err, long millis) {
        @Override
        public String toString() {
            return "exit " + code + " after " + millis + " ms, stdout: " + out + ", stderr: " + err;
        }
    }

    /** {@code java -jar rocker.jar ARGS}, client log level warn. */
    static List<String> command(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-jar", JAR.toString()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Runs {@code cmd} (e.g. {@link #command}, maybe wrapped to run as another user) in {@code dir}, within 60 s. */
    static Run run(Path dir, List<String> cmd) throws Exception {
        return run(dir, new ProcessBuilder(cmd));
    }

    /** Runs the command of {@code pb} in {@code dir}, within 60 s, its output in files of {@code dir} while it runs. */
    static Run run(Path dir, ProcessBuilder pb) throws Exception {
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        long start = System.nanoTime();
        Process p = pb.directory(dir.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError(String.join(" ", pb.command()) + " did not end within 60 s: " + Files.readString(err));
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        Run r = new Run(p.exitValue(), Files.readString(out, StandardCharsets.ISO_8859_1),
                Files.readString(err, StandardCharsets.ISO_8859_1), millis);
        Files.delete(out);
        Files.delete(err);
        return r;
    }

    /** `rocker serve` on {@code socket} and {@code state} (and {@code more} options), its output in {@code log}; returns once it listens. */
    static Process serve(Path socket, Path state, Path log, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("serve", "--socket", socket.toString(), "--state-dir", state.toString()));
        args.addAll(List.of(more));
        Process server = new ProcessBuilder(command(args.toArray(new String[0])))
                .redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        try {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < end && !Files.exists(socket)) {
                Thread.sleep(50);
            }
            assertTrue("the server listens on " + socket + ": " + (Files.exists(log) ? Files.readString(log) : ""), Files.exists(socket));
            String output = Files.readString(log, StandardCharsets.ISO_8859_1);
            for (String jvmComplaint : JVM_OPTION_ERRORS) {
                // a JVM ignores some options it cannot parse (CompileCommand) and goes on: ./rocker's defaults must all take
                assertFalse("the JVM took every option of ./rocker serve: " + output, output.contains(jvmComplaint));
            }
            return server;
        } catch (Exception | AssertionError e) {
            stop(server); // nobody else has it to stop
            throw e;
        }
    }

    /** What a JVM prints about an option of ./rocker's it did not take. */
    static final List<String> JVM_OPTION_ERRORS = List.of("CompileCommand: An error occurred", "Unrecognized VM option",
            "Improperly specified VM option", "VM warning: Ignoring option");

    /** Stops a server as a service manager would (SIGTERM, then SIGKILL after 20 s). */
    static void stop(Process server) throws IOException, InterruptedException {
        if (server != null && server.isAlive()) {
            server.destroy();
            if (!server.waitFor(20, TimeUnit.SECONDS)) {
                server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** A way to run `rocker ARGS`: {@link #run} of {@link #command}, as this user or another, or ./rocker. */
    @FunctionalInterface
    interface Rocker {
        Run run(String... args) throws Exception;
    }

    /** Destroys every rocker that the server at {@code socket} lists (what a failed test left), with {@code rocker}. */
    static void destroyAll(Path socket, Rocker rocker) throws Exception {
        Run left = rocker.run("ls", "--socket", socket.toString(), "--json");
        for (Matcher m = NAME.matcher(left.out()); m.find();) {
            rocker.run("kill", "--socket", socket.toString(), m.group(1));
        }
    }

    /** The `rocker serve` of a test, which it may stop and start again: its output goes to {@code log}. */
    static final class Server {
        private final Path socket;
        private final Path state;
        private final Path log;
        /** The running server, or null. */
        Process process;

        Server(Path socket, Path state, Path log) {
            this.socket = socket;
            this.state = state;
            this.log = log;
        }

        /** Starts it; returns once it listens. */
        void start() throws Exception {
            process = serve(socket, state, log);
        }

        /** Stops it, if it runs ({@link Launcher#stop}). */
        void stop() throws Exception {
            Launcher.stop(process);
            process = null;
        }

        boolean running() {
            return process != null && process.isAlive();
        }
    }
}
