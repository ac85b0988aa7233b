package rocker.bench;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import rocker.client.protocol.Call;
import rocker.client.protocol.CallCodec;
import rocker.client.protocol.Protocol;

/**
 * The client commands' cost: {@code ./rocker ls} against the live bench server, a new JVM each time (since
 * issue 16 on a plain class path, rocker.cli.Main: no framework, no engine), beside the plain-JVM floor
 * ({@link ListFloor}: {@code java -cp BENCH rocker.bench.ListFloor SOCKET}, the same LIST frame with no
 * options and no Rocker class) and the launcher as client commands ran before ({@code java -jar
 * cnf/target/rocker.jar ls}: Felix with every bundle, the engine's included). Each run is timed from fork
 * to reaping and its peak RSS taken by the {@code rusage} helper (wait4); the runs are interleaved
 * (floor, ./rocker, floor, ./rocker, ..., the launcher now and then) so that a drifting load hits them
 * alike. Every run's output is checked.
 */
final class CliBench {
    /** The launcher's JVM options: ./rocker's small-footprint defaults for a client command. */
    static final List<String> LAUNCHER_OPTIONS = List.of("-XX:+UseSerialGC", "-Xms8m", "-Xmx128m", "-XX:MinHeapFreeRatio=10",
            "-XX:MaxHeapFreeRatio=30", "-XX:TieredStopAtLevel=1", "-XX:ReservedCodeCacheSize=32m", "-XX:MaxMetaspaceSize=64m",
            "-Xss512k", "-XX:-UsePerfData", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");

    /** Wall times (ns) and peak RSS (KiB) of one contender. */
    static final class Series {
        final List<Long> wallNs = new ArrayList<>();
        final List<Long> rssKib = new ArrayList<>();

        long maxRssKib() {
            return rssKib.stream().mapToLong(Long::longValue).max().orElse(-1);
        }

        long p50RssKib() {
            if (rssKib.isEmpty()) return -1;
            long[] a = rssKib.stream().mapToLong(Long::longValue).sorted().toArray();
            return a[(a.length - 1) / 2];
        }
    }

    final Series cli = new Series();
    final Series floor = new Series();
    final Series launcher = new Series();
    private final Path rusage;
    private final Path root;
    private final Path socket;
    private final Path work;
    private final Path logs;

    /** @param work a dir of the bench's own (the TMPDIR of ./rocker and the launcher's java.io.tmpdir) */
    CliBench(Path nativeDir, Path root, Path socket, Path work, Path logs) throws IOException {
        this.rusage = nativeDir.resolve("rusage");
        this.root = root;
        this.socket = socket;
        this.work = Files.createDirectories(work);
        this.logs = logs;
        if (!Files.isExecutable(rusage)) {
            throw new BenchException(rusage + " is missing (build: mvn -pl bench -am package)");
        }
        ByteBuffer list = CallCodec.encode(new Call.ListRockers());
        ByteBuffer frame = ByteBuffer.allocate(5 + list.remaining()).putInt(1 + list.remaining()).put(Protocol.LIST).put(list);
        if (!Arrays.equals(frame.array(), ListFloor.LIST_V2)) {
            throw new BenchException("ListFloor's LIST frame is not the one CallCodec encodes: " + Arrays.toString(frame.array()));
        }
    }

    /** Whether the client commands have their class-data sharing archive (cnf/target/client/rocker-cli.jsa). */
    boolean cds() {
        return Files.isRegularFile(root.resolve("cnf/target/client/rocker-cli.jsa"));
    }

    /** {@code warmup} unrecorded rounds, then {@code n} rounds of floor and ./rocker, the launcher in {@code launcherN} of them. */
    void measure(int warmup, int n, int launcherN) throws IOException, InterruptedException {
        for (int i = 0; i < warmup; i++) {
            floor(null);
            cli(null);
        }
        if (launcherN > 0) launcher(null);
        int every = launcherN > 0 ? Math.max(1, n / launcherN) : Integer.MAX_VALUE;
        for (int i = 0; i < n; i++) {
            floor(floor);
            cli(cli);
            if (launcherN > 0 && i % every == 0 && launcher.wallNs.size() < launcherN) launcher(launcher);
        }
    }

    private void floor(Series into) throws IOException, InterruptedException {
        String cp = codeSource(ListFloor.class).toString();
        run("floor", into, List.of(ServerProcess.javaBin("java").toString(), "-cp", cp, ListFloor.class.getName(), socket.toString()),
                out -> out.startsWith("type 0x82, "));
    }

    private void cli(Series into) throws IOException, InterruptedException {
        run("cli", into, List.of(root.resolve("rocker").toString(), "ls", "--socket", socket.toString()),
                out -> out.startsWith("NAME "));
    }

    private void launcher(Series into) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ServerProcess.javaBin("java").toString());
        cmd.addAll(LAUNCHER_OPTIONS);
        cmd.add("-Djava.io.tmpdir=" + work);
        cmd.addAll(List.of("-jar", root.resolve("cnf/target/rocker.jar").toString(), "ls", "--socket", socket.toString()));
        run("launcher", into, cmd, out -> out.startsWith("NAME "));
    }

    /** The jar (or classes dir) {@code c} comes from: the floor's whole class path. */
    private static Path codeSource(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (java.net.URISyntaxException e) {
            throw new BenchException("where is " + c + ": " + e);
        }
    }

    private void run(String label, Series into, List<String> cmd, Predicate<String> outputOk) throws IOException, InterruptedException {
        Path out = logs.resolve("cli-" + label + ".out");
        Path err = logs.resolve("cli-" + label + ".err");
        Path ru = work.resolve("rusage.txt");
        Files.deleteIfExists(ru);
        List<String> full = new ArrayList<>(List.of(rusage.toString(), ru.toString()));
        full.addAll(cmd);
        ProcessBuilder pb = new ProcessBuilder(full).redirectOutput(out.toFile()).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("TMPDIR", work.toString());
        pb.environment().remove("ROCKER_JAVA_OPTS");
        pb.environment().remove("ROCKER_BUILD");
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            Proc.kill(p);
            throw new BenchException(label + " (" + String.join(" ", cmd) + ") did not end within 120 s");
        }
        String[] f = Files.exists(ru) ? Files.readString(ru).trim().split(" ") : new String[0];
        String o = Files.readString(out);
        if (f.length != 3 || !"0".equals(f[2]) || !outputOk.test(o)) {
            throw new BenchException(label + " (" + String.join(" ", cmd) + ") failed: exit " + (f.length == 3 ? f[2] : p.exitValue())
                    + ", stdout: " + o.strip() + ", stderr: " + Files.readString(err).strip());
        }
        if (into != null) {
            into.wallNs.add(Long.parseLong(f[0]));
            into.rssKib.add(Long.parseLong(f[1]));
        }
    }
}
