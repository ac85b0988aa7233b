package rocker.itest;

import static org.junit.Assert.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * The {@code ./rocker} script of this checkout, run as users and service managers run it, with a
 * {@code TMPDIR} of the test's own: every JVM it starts gets its private temp dir there
 * ({@code rocker-tmp.PIDNS.PID.START.RANDOM}, docs/launcher.md), so a test sees exactly what the
 * launchers it started leave behind.
 */
final class RockerScript {
    static final Path SCRIPT = Path.of(RockerOptions.property("rocker.itest.root"), "rocker").toAbsolutePath().normalize();

    private final Path tmpdir;

    RockerScript(Path tmpdir) {
        this.tmpdir = tmpdir;
    }

    /** {@code ./rocker ARGS} in the test's TMPDIR, with the test's java. */
    ProcessBuilder builder(List<String> prefix, String... args) {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.add(SCRIPT.toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("TMPDIR", tmpdir.toString());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().remove("ROCKER_JAVA_OPTS");
        pb.environment().remove("ROCKER_BUILD");
        return pb;
    }

    /** Runs a client command in {@code dir} within 60 s. */
    Launcher.Run run(Path dir, String... args) throws Exception {
        return Launcher.run(dir, builder(List.of(), args));
    }

    /**
     * {@code ./rocker serve} on {@code socket} and {@code state}, output in {@code log}, started through
     * {@code prefix} (e.g. setsid); returns once it listens ("rocker: serving on", printed once the socket
     * is bound: a socket file that a killed server left does not count).
     */
    Process serve(List<String> prefix, Path socket, Path state, Path log) throws Exception {
        Process server = builder(prefix, "serve", "--socket", socket.toString(), "--state-dir", state.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < end && server.isAlive() && !serving(log)) {
            Thread.sleep(50);
        }
        assertTrue("the server listens on " + socket + ": " + (Files.exists(log) ? Files.readString(log) : ""),
                serving(log) && Files.exists(socket, LinkOption.NOFOLLOW_LINKS));
        return server;
    }

    private static boolean serving(Path log) throws IOException {
        return Files.exists(log) && Files.readString(log, StandardCharsets.ISO_8859_1).contains("rocker: serving on ");
    }

    /** The entries of the test's TMPDIR, sorted. */
    TreeSet<String> tmpEntries() throws IOException {
        TreeSet<String> out = new TreeSet<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(tmpdir)) {
            s.forEach(p -> out.add(p.getFileName().toString()));
        }
        return out;
    }

    /** The private temp dir of the launcher JVM {@code pid}: its java.io.tmpdir, from its command line. */
    static Optional<Path> privateTmpOf(long pid) throws IOException {
        String[] argv = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"), StandardCharsets.ISO_8859_1).split("\0");
        for (String a : argv) {
            if (a.startsWith("-Djava.io.tmpdir=")) {
                return Optional.of(Path.of(a.substring("-Djava.io.tmpdir=".length())));
            }
        }
        return Optional.empty();
    }

    /** Every file or link of process {@code pid} (open descriptors and mapped files) whose path is under /tmp or {@code under}. */
    static TreeSet<String> filesOf(long pid, Path under) throws IOException {
        TreeSet<String> out = new TreeSet<>();
        Path proc = Path.of("/proc", Long.toString(pid));
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
            for (Path fd : fds) {
                try {
                    out.add(Files.readSymbolicLink(fd).toString());
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        }
        for (String line : Files.readAllLines(proc.resolve("maps"))) {
            int slash = line.indexOf('/');
            if (slash > 0) {
                out.add(line.substring(slash));
            }
        }
        out.removeIf(f -> !f.startsWith("/tmp/") && !f.startsWith(under.toString() + "/"));
        return out;
    }
}
