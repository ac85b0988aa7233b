package rocker.bench;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import rocker.client.RemoteRockerClient;

/**
 * A Rocker server in its own JVM: the product's launcher ({@code java -jar cnf/target/rocker.jar serve
 * --socket S --state-dir D}) or, when that is not usable, {@link PlainServer} on the bench's class path
 * (the same engine and socket server without OSGi). Ready means: the socket file exists and a
 * {@code list()} call over it is answered.
 */
final class ServerProcess implements AutoCloseable {
    final String kind;
    final Process process;
    final Path socket;
    final Path log;
    long readyNanos = -1;

    private ServerProcess(String kind, Process process, Path socket, Path log) {
        this.kind = kind;
        this.process = process;
        this.socket = socket;
        this.log = log;
    }

    static ServerProcess launcher(Path jar, Path socket, Path stateDir, List<String> jvmOptions, Path log) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBin("java").toString());
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-jar", jar.toString(), "serve", "--socket", socket.toString(), "--state-dir", stateDir.toString()));
        return start("launcher", cmd, socket, log);
    }

    /** The server as users start it: {@code ./rocker serve}, with the script's JVM defaults. */
    static ServerProcess script(Path rockerScript, Path socket, Path stateDir, Path log) throws IOException {
        List<String> cmd = List.of(rockerScript.toString(), "serve", "--socket", socket.toString(), "--state-dir", stateDir.toString());
        return start("launcher", cmd, socket, log);
    }

    static ServerProcess plain(Path socket, Path stateDir, String guard, List<String> jvmOptions, Path log) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBin("java").toString());
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), PlainServer.class.getName(),
                socket.toString(), stateDir.toString(), guard));
        return start("plain-classpath", cmd, socket, log);
    }

    private static ServerProcess start(String kind, List<String> cmd, Path socket, Path log) throws IOException {
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        ServerProcess s = new ServerProcess(kind, p, socket, log);
        s.t0 = t0;
        return s;
    }

    private long t0;

    /** Why the server is known not to come up (an ERROR in its log), or null. */
    String failure;

    /**
     * Polls for readiness; false when it died, logged an error (a component that failed to start: it
     * will not serve) or did not get ready in time.
     */
    boolean awaitReady(Duration patience) throws InterruptedException {
        long end = (readyNanos < 0 ? t0 : System.nanoTime()) + patience.toNanos();
        int polls = 0;
        while (System.nanoTime() < end && process.isAlive()) {
            if (++polls % 50 == 0 && (failure = errorInLog()) != null) return false;
            if (Files.exists(socket)) {
                try {
                    new RemoteRockerClient(socket.toString(), Duration.ofSeconds(5)).list();
                    if (readyNanos < 0) readyNanos = System.nanoTime() - t0;
                    return true;
                } catch (RuntimeException e) {
                    // bound but not answering yet
                }
            }
            Thread.sleep(2);
        }
        return false;
    }

    /** Watches the socket file for {@code d}; how many times it went missing (and came back or not). */
    int watchSocket(Duration d) throws InterruptedException {
        int gaps = 0;
        boolean present = true;
        long end = System.nanoTime() + d.toNanos();
        while (System.nanoTime() < end) {
            boolean now = Files.exists(socket);
            if (present && !now) gaps++;
            present = now;
            Thread.sleep(5);
        }
        return gaps;
    }

    long pid() {
        return process.pid();
    }

    private String errorInLog() {
        try {
            for (String line : Files.readAllLines(log)) {
                if (line.startsWith("ERROR") || line.startsWith("rocker: sys:")) return line;
            }
        } catch (IOException | RuntimeException e) {
            // not yet written
        }
        return null;
    }

    /** The gist of the log: the first error line and the last "Caused by" (the root cause), else its last lines. */
    String logGist() {
        try {
            List<String> lines = Files.readAllLines(log);
            String first = null;
            String cause = null;
            for (String l : lines) {
                if (first == null && (l.startsWith("ERROR") || l.startsWith("rocker:"))) first = l.trim();
                if (l.startsWith("Caused by:")) cause = l.trim();
            }
            if (first != null || cause != null) {
                return (first != null ? first : "") + (cause != null ? " ... " + cause : "");
            }
            String s = String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
            return s.length() > 1500 ? s.substring(s.length() - 1500) : s;
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    long rssKib() {
        return Kernel.statusKib(pid(), "VmRSS");
    }

    /**
     * Heap used and committed (KiB) by jstat, after a full GC asked with jcmd when {@code gcFirst}:
     * the live heap. Empty map when the JDK tools are missing.
     */
    Map<String, Double> heapKib(boolean gcFirst, Path scratch) {
        Map<String, Double> out = new HashMap<>();
        try {
            if (gcFirst && Files.isExecutable(javaBin("jcmd"))) {
                Proc.run(List.of(javaBin("jcmd").toString(), Long.toString(pid()), "GC.run"), scratch, 30, TimeUnit.SECONDS);
            }
            if (!Files.isExecutable(javaBin("jstat"))) return out;
            Proc.Result r = Proc.run(List.of(javaBin("jstat").toString(), "-gc", Long.toString(pid())), scratch, 30, TimeUnit.SECONDS);
            List<String> lines = Files.readAllLines(r.log);
            if (r.exit != 0 || lines.size() < 2) return heapInfo(out, scratch);
            List<String> head = Arrays.asList(lines.get(0).trim().split("\\s+"));
            String[] vals = lines.get(1).trim().split("\\s+");
            double used = 0;
            double committed = 0;
            for (String k : List.of("S0U", "S1U", "EU", "OU")) used += value(head, vals, k);
            for (String k : List.of("S0C", "S1C", "EC", "OC")) committed += value(head, vals, k);
            out.put("used", used);
            out.put("committed", committed);
            out.put("metaspace_used", value(head, vals, "MU"));
        } catch (IOException | RuntimeException e) {
            // no figure
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return out;
    }

    /**
     * The same from {@code jcmd PID GC.heap_info} (jstat needs the JVM's perf data, which ./rocker's
     * defaults turn off: -XX:-UsePerfData): the generations' "total NK, used NK" lines, and Metaspace.
     */
    private Map<String, Double> heapInfo(Map<String, Double> out, Path scratch) throws IOException, InterruptedException {
        if (!Files.isExecutable(javaBin("jcmd"))) return out;
        Proc.Result r = Proc.run(List.of(javaBin("jcmd").toString(), Long.toString(pid()), "GC.heap_info"), scratch, 30, TimeUnit.SECONDS);
        if (r.exit != 0) return out;
        java.util.regex.Pattern gen = java.util.regex.Pattern.compile("^\\s*(\\S.*?)\\s+total (\\d+)K, used (\\d+)K");
        java.util.regex.Pattern meta = java.util.regex.Pattern.compile("^\\s*Metaspace\\s+used (\\d+)K");
        double used = 0;
        double committed = 0;
        boolean any = false;
        for (String line : Files.readAllLines(r.log)) {
            java.util.regex.Matcher m = meta.matcher(line);
            if (m.find()) {
                out.put("metaspace_used", Double.parseDouble(m.group(1)));
                continue;
            }
            m = gen.matcher(line);
            if (m.find() && !line.contains("space")) {
                committed += Double.parseDouble(m.group(2));
                used += Double.parseDouble(m.group(3));
                any = true;
            }
        }
        if (any) {
            out.put("used", used);
            out.put("committed", committed);
        }
        return out;
    }

    private static double value(List<String> head, String[] vals, String key) {
        int i = head.indexOf(key);
        return i < 0 || i >= vals.length ? 0 : Double.parseDouble(vals[i]);
    }

    static Path javaBin(String tool) {
        return Path.of(System.getProperty("java.home"), "bin", tool);
    }

    /** SIGTERM (the server removes its socket; rockers live on), then SIGKILL after 15 s. */
    @Override
    public void close() throws InterruptedException {
        if (!process.isAlive()) return;
        process.destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            Proc.kill(process);
        }
    }
}
