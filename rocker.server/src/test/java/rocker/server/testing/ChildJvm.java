package rocker.server.testing;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs a main class of the test classpath in a new JVM as another uid/gid ({@code setpriv}). The
 * classpath is copied to a world-readable temp dir first, since the Maven repository under /root is
 * not readable by other users.
 */
public final class ChildJvm implements AutoCloseable {
    private final Path dir;
    private final String classpath;
    private final Path tmp;

    public ChildJvm() throws IOException {
        dir = Files.createTempDirectory("rocker-child");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        tmp = Files.createDirectory(dir.resolve("tmp"));
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
        List<String> entries = new ArrayList<>();
        int n = 0;
        for (String e : testClasspath()) {
            Path src = Path.of(e);
            if (!Files.exists(src)) {
                continue;
            }
            Path dst = dir.resolve((n++) + "-" + src.getFileName());
            copy(src, dst);
            entries.add(dst.toString());
        }
        classpath = String.join(File.pathSeparator, entries);
    }

    public static boolean available() {
        return Files.isExecutable(Path.of("/usr/bin/setpriv")) && "root".equals(System.getProperty("user.name"));
    }

    /** Runs {@code mainClass} as uid/gid, returns its exit code and output (stdout then stderr). */
    public Result run(int uid, int gid, Class<?> mainClass, String... args) throws IOException, InterruptedException {
        return run(List.of(), uid, gid, mainClass, args);
    }

    /**
     * Like {@link #run(int, int, Class, String...)}, started through {@code prefix} (run as root, e.g.
     * {@code unshare --pid --fork}) before the switch to uid/gid.
     */
    public Result run(List<String> prefix, int uid, int gid, Class<?> mainClass, String... args) throws IOException, InterruptedException {
        Process p = start(prefix, uid, gid, mainClass, args);
        p.getOutputStream().close();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("the child JVM did not end: " + out);
        }
        return new Result(p.exitValue(), out);
    }

    /** Starts {@code mainClass} as uid/gid through {@code prefix}; stdout and stderr merged. */
    public Process start(List<String> prefix, int uid, int gid, Class<?> mainClass, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of("/usr/bin/setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Djava.io.tmpdir=" + tmp,
                "-cp", classpath, mainClass.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    /** What a child printed and returned. */
    public record Result(int exitCode, String output) { }

    @Override
    public void close() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static List<String> testClasspath() {
        String cp = System.getProperty("surefire.test.class.path");
        if (cp == null || cp.isEmpty()) {
            cp = System.getProperty("java.class.path");
        }
        return List.of(cp.split(File.pathSeparator));
    }

    private void copy(Path src, Path dst) throws IOException {
        if (Files.isDirectory(src)) {
            try (Stream<Path> files = Files.walk(src)) {
                for (Path p : (Iterable<Path>) files::iterator) {
                    Path t = dst.resolve(src.relativize(p).toString());
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(t);
                        Files.setPosixFilePermissions(t, PosixFilePermissions.fromString("rwxr-xr-x"));
                    } else {
                        Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
                        Files.setPosixFilePermissions(t, PosixFilePermissions.fromString("rw-r--r--"));
                    }
                }
            }
        } else {
            Files.copy(src, dst, StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(dst, PosixFilePermissions.fromString("rw-r--r--"));
        }
    }
}
