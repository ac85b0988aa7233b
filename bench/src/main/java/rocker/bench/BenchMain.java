package rocker.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import rocker.api.RockerClient;
import rocker.client.RemoteRockerClient;
import rocker.impl.linux.RockerEngine;
import rocker.testsupport.KernelView;
import rocker.testsupport.WorkDirs;

/**
 * {@code bench/run.sh [--quick|--smoke] [options]}: Rocker's benchmark suite. One run answers with
 * ratios measured in that run (the machine may be shared and noisy: compare within a run). It prints a
 * table and writes every figure to {@code target/bench/results.json} under the repository root. It
 * installs nothing: a missing tool is named and its part skipped (its figures are null). Everything it
 * creates is removed at the end, also on failure or Ctrl-C. See docs/performance.md.
 */
public final class BenchMain {
    /** Keys the JSON always has (null where a part was skipped or failed). */
    public static final List<String> REQUIRED_KEYS = List.of("start_p50_ms", "start_p99_ms", "start_socket_p50_ms",
            "floor_p50_ms", "bwrap_p50_ms", "unshare_p50_ms", "concurrent8_p50_ms", "floor_concurrent8_p50_ms",
            "guard_rss_kib", "server_idle_rss_mib", "server_idle_rss_after_serving_max_mib", "server_ready_ms", "start_p50_ms_with_500_live", "pg_tps_native",
            "pg_tps_rocker", "cli_ls_p50_ms", "cli_ls_max_rss_mib", "cli_floor_ls_p50_ms");

    static final String USAGE = String.join("\n",
            "Usage: bench/run.sh [--quick | --smoke] [options]",
            "",
            "Measures Rocker's start latency (in-process engine and socket), the same start by a C floor,",
            "bubblewrap and unshare(1), the client commands (./rocker ls) beside a plain JVM, footprint, scale",
            "and PostgreSQL overhead; prints a table and writes",
            "target/bench/results.json. Needs root. Installs nothing: missing tools are named, their part skipped.",
            "",
            "  (default)       full run: 200 starts per figure, 8 concurrent clients, 500 live rockers,",
            "                  loop-device limit up to 600, PostgreSQL, JMH (several minutes)",
            "  --quick         under a minute: fewer starts, no PostgreSQL, no JMH, no 500-live figures",
            "  --smoke         a few seconds: a handful of starts per part (what the JUnit smoke test runs)",
            "  --jmh/--no-jmh  run the JMH micro-benchmarks or not (default: only in the full run)",
            "  --no-pg         skip PostgreSQL      --no-server  skip the socket server",
            "  --n N           starts per latency figure",
            "  --out FILE      where to write the JSON (default ROOT/target/bench/results.json)",
            "  --root DIR      the repository root (default: the current dir)",
            "  --native DIR    where floor, marker and rocker-guard are (default ROOT/bench/target/native)",
            "  --guard FILE    the rocker-guard the in-process engine uses (default NATIVE/rocker-guard)",
            "  --only P,...    run only these parts: start (all contenders) concurrent footprint profile",
            "                  images (shared image mounts) server cli (./rocker ls beside a plain-JVM floor) scale pg jmh");

    enum Mode { FULL, QUICK, SMOKE }

    static final class Config {
        Mode mode = Mode.FULL;
        Boolean jmh;
        boolean pg = true;
        boolean server = true;
        Integer n;
        Path root;
        Path out;
        Path nativeDir;
        String guard;
        Set<String> only;

        boolean want(String part) { return only == null || only.contains(part); }

        int n() { return n != null ? n : pick(200, 40, 5); }
        int warmup() { return pick(50, 50, 1); }
        int serverWarmup() { return pick(300, 300, 1); }
        int concurrentN() { return n != null ? n : pick(200, 40, 8); }
        int unshareN() { return n != null ? n : pick(200, 20, 3); }
        int[] scaleLevels() { return mode == Mode.FULL ? new int[] {0, 100, 500} : mode == Mode.QUICK ? new int[] {0, 50} : new int[] {0}; }
        int probes() { return pick(20, 10, 3); }
        /** Starts per scale level: a p50 of 20 moved the 500-live ratio by +-0.3 from run to run (docs/performance.md). */
        int scaleProbes() { return pick(100, 10, 3); }
        int loopLimit() { return pick(600, 0, 0); }
        int serverLive() { return pick(500, 50, 0); }
        /** Server starts measured idle after serving (the bench's own server is the first), and starts each serves. */
        int serverRounds() { return pick(5, 3, 1); }
        int serverServed() { return pick(10, 10, 2); }
        /** Least wait before an idle RSS is read (the JVM frees its pooled arena chunks every 5 s, glibc's heap is trimmed every 2 s). */
        Duration settleMin() { return Duration.ofSeconds(pick(7, 7, 1)); }
        int profileRuns() { return pick(60, 20, 0); }
        /** Client commands: rounds of (floor, ./rocker ls), and how many of them also run the launcher. */
        int cliN() { return pick(60, 20, 3); }
        int cliLauncherN() { return pick(10, 3, 1); }
        /** Interleaved blocks of the start series. */
        int blocks() { return pick(10, 4, 1); }
        boolean jmh() { return jmh != null ? jmh : mode == Mode.FULL; }
        boolean pg() { return pg && mode == Mode.FULL; }
        Duration launcherPatience() { return Duration.ofSeconds(pick(60, 30, 20)); }

        private int pick(int full, int quick, int smoke) {
            return mode == Mode.FULL ? full : mode == Mode.QUICK ? quick : smoke;
        }
    }

    private final Config cfg;
    private final PrintStream out;
    private final Map<String, Object> r = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();
    private final Map<String, String> skipped = new LinkedHashMap<>();
    private final Map<String, String> failed = new LinkedHashMap<>();
    private final List<Tracker> trackers = new ArrayList<>();
    private final Cleanup cleanup = new Cleanup();
    private Workspace ws;

    private BenchMain(Config cfg, PrintStream out) {
        this.cfg = cfg;
        this.out = out;
    }

    public static void main(String[] args) {
        int rc;
        try {
            rc = run(args, System.out);
        } catch (Exception e) {
            e.printStackTrace();
            rc = 1;
        }
        System.exit(rc);
    }

    /** Runs the suite; 0 when it completed (parts may be skipped), 1 when a part failed or something was left behind, 2 for usage. */
    public static int run(String[] args, PrintStream out) throws Exception {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        Config cfg = new Config();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--quick": cfg.mode = Mode.QUICK; break;
                case "--smoke": cfg.mode = Mode.SMOKE; break;
                case "--full": cfg.mode = Mode.FULL; break;
                case "--jmh": cfg.jmh = true; break;
                case "--no-jmh": cfg.jmh = false; break;
                case "--no-pg": cfg.pg = false; break;
                case "--no-server": cfg.server = false; break;
                case "--n": cfg.n = Integer.parseInt(value(args, ++i, a)); break;
                case "--out": cfg.out = Path.of(value(args, ++i, a)); break;
                case "--root": cfg.root = Path.of(value(args, ++i, a)); break;
                case "--native": cfg.nativeDir = Path.of(value(args, ++i, a)); break;
                case "--guard": cfg.guard = value(args, ++i, a); break;
                case "--only": cfg.only = new TreeSet<>(List.of(value(args, ++i, a).split(","))); break;
                case "-h": case "--help": out.println(USAGE); return 0;
                default:
                    System.err.println("bench: unknown option '" + a + "'\n" + USAGE);
                    return 2;
            }
        }
        if (cfg.root == null) {
            String p = System.getProperty("rocker.bench.root");
            cfg.root = (p != null ? Path.of(p) : Path.of("")).toAbsolutePath().normalize();
        }
        if (cfg.nativeDir == null) {
            String p = System.getProperty("rocker.bench.native");
            cfg.nativeDir = p != null ? Path.of(p) : cfg.root.resolve("bench/target/native");
        }
        if (cfg.guard == null) {
            String p = System.getProperty("rocker.guard");
            cfg.guard = p != null ? p : cfg.nativeDir.resolve("rocker-guard").toString();
        }
        if (cfg.out == null) cfg.out = cfg.root.resolve("target/bench/results.json");
        return new BenchMain(cfg, out).execute();
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) throw new IllegalArgumentException("option " + option + " needs a value");
        return args[i];
    }

    /**
     * A pause between two contenders' blocks: what one leaves the kernel and its own background threads to
     * finish (a loop device's auto-clear, a namespace's teardown, a server's spare refill) should not land
     * in the next one's timings. Within a contender's block nothing waits: its own leftovers count.
     */
    private static void settle() throws InterruptedException {
        Thread.sleep(SETTLE_MS);
    }

    static final int SETTLE_MS = 150;
    /**
     * The pause after each start of the spaced series (engine and floor alike): long enough for the
     * engine to have made the spare the start took (13 ms a spare on the VMs of docs/performance.md,
     * twelfth round), as on a gateway whose starts are not back to back.
     */
    static final int SPACED_PAUSE_MS = 60;

    private int execute() throws Exception {
        for (String k : REQUIRED_KEYS) r.put(k, null);
        meta();
        out.println("rocker bench: " + cfg.mode.name().toLowerCase() + " run; results go to " + cfg.out);
        List<String> leaks = new ArrayList<>();
        Set<String> mountsBefore = KernelView.mountPoints();
        cleanup.installHook();
        try {
            if (preflight()) {
                ws = Workspace.create(cfg.nativeDir, cleanup);
                r.put("state_dir_fs", Workspace.fsType(ws.stateRoot));
                // as the product runs it: the engine component's default of 2 spare guards
                String guard = cfg.guard;
                RockerEngine engine = new RockerEngine(ws.state("engine"), () -> guard, Duration.ofSeconds(10), Integer.getInteger("rocker.bench.spares", 2));
                cleanup.add("engine", engine::close);
                ClientBench eb = new ClientBench("engine", engine, ws, cleanup);
                trackers.add(eb.tracker);
                NativeBench nb = new NativeBench(ws);

                boolean wantServer = cfg.want("server") || cfg.want("start") || cfg.want("concurrent") || cfg.want("cli");
                if (!cfg.server) skip("server", "--no-server");
                else if (wantServer) part("server", this::serverStart);
                if (cfg.want("start")) part("start latency (interleaved)", () -> starts(eb, nb));
                if (cfg.want("concurrent")) part("8 concurrent (interleaved)", () -> concurrent(eb, nb));
                if (cfg.want("images")) part("shared image mounts", this::images);
                if (cfg.want("footprint")) part("guard footprint", () -> guardFootprint(eb));
                if (cfg.profileRuns() > 0 && cfg.want("profile")) part("profile", () -> profile(eb));
                if (server != null && cfg.want("cli")) part("client commands", this::cliCommands);
                if (server != null && cfg.want("server")) part("server footprint", this::serverFootprint);
                if (server != null) cleanup.runNow("server " + server.kind);
                if (cfg.want("scale")) part("scale", () -> scale(eb));
                if (!cfg.want("pg")) skip("postgresql", "--only");
                else if (cfg.pg()) part("postgresql", () -> postgres(eb));
                else skip("postgresql", cfg.mode == Mode.FULL ? "--no-pg" : "not in --" + cfg.mode.name().toLowerCase() + " runs");
                if (!cfg.want("jmh")) skip("jmh", "--only");
                else if (cfg.jmh()) part("jmh", this::jmh);
                else skip("jmh", "not in --" + cfg.mode.name().toLowerCase() + " runs (--jmh runs it)");
                leaks.addAll(leakCheck(mountsBefore));
            }
        } finally {
            keepLogs();
            cleanup.runAll();
            if (ws != null && Files.exists(ws.root)) leaks.add("work dir " + ws.root + " still exists");
            for (Tracker t : trackers) {
                List<String> s = t.survivors();
                if (!s.isEmpty()) {
                    leaks.addAll(s);
                    t.killSurvivors();
                }
            }
        }
        ratios();
        r.put("leaks", leaks);
        r.put("cleanup_failures", cleanup.failures());
        r.put("skipped", skipped);
        r.put("failed", failed);
        r.put("notes", notes);
        r.put("finished", Instant.now().toString());
        Files.createDirectories(cfg.out.toAbsolutePath().getParent());
        Files.writeString(cfg.out, Json.write(r));
        Table.print(out, r, cfg.mode.name().toLowerCase());
        out.println("results: " + cfg.out);
        boolean bad = !failed.isEmpty() || !leaks.isEmpty() || !cleanup.failures().isEmpty();
        return bad ? 1 : 0;
    }

    /** Where the helpers' logs are kept: logs/ beside results.json, else OUT.logs/. */
    static Path logsDir(Path out) {
        Path o = out.toAbsolutePath();
        return o.getFileName().toString().equals("results.json") ? o.getParent().resolve("logs")
                : o.resolveSibling(o.getFileName() + ".logs");
    }

    /** The helpers' logs (floor, bwrap, servers, PostgreSQL, pgbench) are kept beside the JSON. */
    private void keepLogs() {
        if (ws == null) return;
        try {
            Path dest = logsDir(cfg.out);
            WorkDirs.delete(dest);
            Files.createDirectories(dest);
            try (java.util.stream.Stream<Path> logs = Files.list(ws.root.resolve("logs"))) {
                for (Path l : (Iterable<Path>) logs::iterator) Files.copy(l, dest.resolve(l.getFileName()));
            }
            r.put("logs", dest.toString());
        } catch (IOException e) {
            notes.add("logs not kept: " + e);
        }
    }

    private interface Part {
        void run() throws Exception;
    }

    private void part(String name, Part p) {
        long t0 = System.nanoTime();
        out.println("== " + name);
        try {
            p.run();
        } catch (Exception | Error e) {
            String msg = e.getMessage() != null ? e.getMessage() : e.toString();
            failed.put(name, msg);
            out.println("   FAILED: " + msg);
            if (!(e instanceof BenchException)) e.printStackTrace(out);
        }
        r.put("seconds_" + name.replaceAll("[^a-z0-9]+", "_").replaceAll("_$", ""), Math.round((System.nanoTime() - t0) / 1e7) / 100.0);
    }

    private void skip(String part, String why) {
        skipped.put(part, why);
        out.println("== " + part + ": skipped (" + why + ")");
    }

    private void meta() {
        r.put("mode", cfg.mode.name().toLowerCase());
        r.put("started", Instant.now().toString());
        r.put("kernel", Kernel.sysParam("/proc/sys/kernel/osrelease"));
        r.put("cpus", Runtime.getRuntime().availableProcessors());
        r.put("loadavg_start", Kernel.sysParam("/proc/loadavg"));
        r.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        r.put("n", cfg.n());
        r.put("overlays", Workspace.OVERLAYS);
        r.put("uid_gid", Workspace.UID + "/" + Workspace.GID);
        r.put("app", "static 'marker' in the image: writes " + Workspace.MARKER + " (overlaid /var) and exits");
    }

    /** Root, the native parts, the tools every part needs. False when nothing can be measured. */
    private boolean preflight() {
        List<String> missing = new ArrayList<>();
        for (String f : List.of("floor", "marker")) {
            if (!Files.isExecutable(cfg.nativeDir.resolve(f))) missing.add(cfg.nativeDir.resolve(f) + " (build: mvn -pl bench -am package)");
        }
        if (!Files.isExecutable(Path.of(cfg.guard))) missing.add(cfg.guard + " (build: mvn -pl bench -am package)");
        if (Proc.which("mksquashfs").isEmpty()) missing.add("mksquashfs (apt-get install squashfs-tools)");
        boolean root = rocker.impl.linux.sys.Posix.geteuid() == 0;
        if (!root) missing.add("root: the engine, the floor, bwrap and unshare all need it");
        if (!missing.isEmpty()) {
            failed.put("preflight", "cannot run: missing " + String.join("; ", missing));
            out.println("bench: cannot run: missing " + String.join("; ", missing));
            return false;
        }
        return true;
    }

    // ---- start latency, interleaved -------------------------------------------------------------

    /**
     * The sequential starts of every contender, in interleaved blocks (engine, floor, bwrap, unshare,
     * socket, then again): on a shared machine the load drifts, and the ratios must not pick that up.
     */
    private void starts(ClientBench eb, NativeBench nb) throws Exception {
        boolean bw = usable("bwrap", "bwrap (apt-get install bubblewrap)", "setpriv (util-linux)", "unshare (util-linux)");
        boolean un = usable("unshare", "unshare (util-linux)", "setpriv (util-linux)", "mount (mount)", "sh (dash)");
        if (bw) {
            r.put("bwrap_version", Proc.firstLine(ws.log("bwrap-version.log"), "bwrap", "--version"));
            r.put("bwrap_does", NativeBench.BWRAP_DOES);
        }
        if (un) {
            r.put("unshare_version", Proc.firstLine(ws.log("unshare-version.log"), "unshare", "--version"));
            r.put("unshare_does", NativeBench.UNSHARE_DOES);
        }
        Map<String, String> broken = new LinkedHashMap<>();
        // warm-up: JIT, page cache, the first loop devices; not counted
        eb.sequential(ws.dataRoot("engine-warmup"), cfg.warmup());
        nb.floor("floor-warmup", cfg.warmup(), 1);
        nb.floor("floor-shared-warmup", cfg.warmup(), 1, "clone");
        nb.floor("floor-shared-loop-warmup", cfg.warmup(), 1, "loop");
        nb.floorContained("floor-contained-warmup", cfg.warmup(), 1);
        if (bw) attempt(broken, "bwrap", () -> nb.bwrap("bwrap-warmup", cfg.warmup(), 1));
        if (un) attempt(broken, "unshare", () -> nb.unshare("unshare-warmup", Math.min(3, cfg.warmup())));
        // the server's JVM compiles late on purpose (C1 only, 10x the call counts: ./rocker), so its start path
        // is compiled only after a few hundred starts: measured as the long-running server it is meant to be
        if (sb != null) attempt(broken, "socket", () -> sb.sequential(ws.dataRoot("socket-warmup"), cfg.serverWarmup()));
        CEnterBench ceb = sb == null ? null : CEnterBench.find(cfg.root, server.socket, ws);
        if (sb != null && ceb == null) {
            notes.add("c_enter: librocker_client/target/ARCH/test/bench_enter is missing (build it: make -C librocker_client tests)");
        }
        if (ceb != null) attempt(broken, "c-enter", () -> ceb.sequential(ws.dataRoot("c-enter-warmup"), cfg.warmup()));

        int blocks = cfg.blocks();
        int per = (cfg.n() + blocks - 1) / blocks;
        int unPer = (cfg.unshareN() + blocks - 1) / blocks;
        List<ClientBench.Sample> engine = new ArrayList<>();
        List<ClientBench.Sample> socket = new ArrayList<>();
        List<ClientBench.Sample> cEnter = new ArrayList<>();
        NativeBench.Series floor = new NativeBench.Series();
        NativeBench.Series floorShared = new NativeBench.Series();
        NativeBench.Series floorSharedLoop = new NativeBench.Series();
        NativeBench.Series floorContained = new NativeBench.Series();
        NativeBench.Series bwrap = new NativeBench.Series();
        NativeBench.Series unshare = new NativeBench.Series();
        int spacedPer = Math.max(3, per / 3);
        List<ClientBench.Sample> engineSpaced = new ArrayList<>();
        NativeBench.Series floorSpaced = new NativeBench.Series();
        for (int k = 0; k < blocks; k++) {
            settle();
            engine.addAll(eb.sequential(ws.dataRoot("engine-seq-" + k), per).samples());
            settle();
            floor.add(nb.floor("floor-seq-" + k, per, 1));
            settle();
            floorShared.add(nb.floor("floor-shared-seq-" + k, per, 1, "clone"));
            settle();
            floorSharedLoop.add(nb.floor("floor-shared-loop-seq-" + k, per, 1, "loop"));
            settle();
            floorContained.add(nb.floorContained("floor-contained-seq-" + k, per, 1));
            settle();
            engineSpaced.addAll(eb.sequential(ws.dataRoot("engine-spaced-" + k), spacedPer, SPACED_PAUSE_MS).samples());
            settle();
            floorSpaced.add(nb.floorSpaced("floor-spaced-" + k, spacedPer, SPACED_PAUSE_MS));
            int block = k;
            if (bw) {
                settle();
                attempt(broken, "bwrap", () -> bwrap.add(nb.bwrap("bwrap-seq-" + block, per, 1)));
            }
            if (un) {
                settle();
                attempt(broken, "unshare", () -> unshare.add(nb.unshare("unshare-seq-" + block, unPer)));
            }
            if (sb != null) {
                settle();
                attempt(broken, "socket", () -> socket.addAll(sb.sequential(ws.dataRoot("socket-seq-" + block), per).samples()));
            }
            if (ceb != null) {
                settle();
                attempt(broken, "c-enter", () -> cEnter.addAll(ceb.sequential(ws.dataRoot("c-enter-seq-" + block), per)));
            }
        }
        ClientBench.Series e = new ClientBench.Series(engine, 0);
        Stats st = Stats.of(e.starts());
        putStats("start", st);
        r.put("start_enter_p50_ms", Stats.of(e.enters()).p50);
        putStats("destroy", Stats.of(e.destroys()));
        r.put("cycle_p50_ms", Stats.of(e.cycles()).p50);
        out.printf("   engine: start %s; destroy p50 %s ms%n", st, r.get("destroy_p50_ms"));

        Stats fs = Stats.of(floor.starts);
        putStats("floor", fs);
        r.put("floor_teardown_p50_ms", Stats.of(floor.teardowns).p50);
        r.put("floor_cycle_p50_ms", Stats.of(floor.cycles()).p50);
        Map<String, Object> steps = new LinkedHashMap<>();
        for (Map.Entry<String, List<Long>> x : floor.steps.entrySet()) steps.put(x.getKey(), Stats.of(x.getValue()).p50);
        r.put("floor_steps_p50_ms", steps);
        out.printf("   floor: start %s%n", fs);
        putStats("floor_shared", Stats.of(floorShared.starts));
        putStats("floor_shared_loop", Stats.of(floorSharedLoop.starts));
        putStats("floor_contained", Stats.of(floorContained.starts));
        r.put("floor_contained_teardown_p50_ms", Stats.of(floorContained.teardowns).p50);
        for (String[] x : new String[][] {{"floor_shared_steps_p50_ms", "clone"}, {"floor_shared_loop_steps_p50_ms", "loop"},
                {"floor_contained_steps_p50_ms", "contained"}}) {
            NativeBench.Series s = x[1].equals("clone") ? floorShared : x[1].equals("loop") ? floorSharedLoop : floorContained;
            Map<String, Object> st2 = new LinkedHashMap<>();
            for (Map.Entry<String, List<Long>> y : s.steps.entrySet()) st2.put(y.getKey(), Stats.of(y.getValue()).p50);
            r.put(x[0], st2);
        }
        putStats("start_spaced", Stats.of(new ClientBench.Series(engineSpaced, 0).starts()));
        putStats("floor_spaced", Stats.of(floorSpaced.starts));
        r.put("spaced_pause_ms", SPACED_PAUSE_MS);
        out.printf("   spaced (%d ms after each start's destroy or teardown): engine %s; floor %s%n", SPACED_PAUSE_MS,
                Stats.of(new ClientBench.Series(engineSpaced, 0).starts()), Stats.of(floorSpaced.starts));
        out.printf("   floor, shared mount: clone %s; the holder's loop device %s; with Rocker's containment %s%n", Stats.of(floorShared.starts),
                Stats.of(floorSharedLoop.starts), Stats.of(floorContained.starts));
        if (!bwrap.starts.isEmpty()) {
            putStats("bwrap", Stats.of(bwrap.starts));
            out.printf("   %s: run %s%n", r.get("bwrap_version"), Stats.of(bwrap.starts));
        }
        if (!unshare.starts.isEmpty()) {
            putStats("unshare", Stats.of(unshare.starts));
            out.printf("   unshare(1): run %s%n", Stats.of(unshare.starts));
        }
        if (!socket.isEmpty()) {
            ClientBench.Series ss = new ClientBench.Series(socket, 0);
            putStats("start_socket", Stats.of(ss.starts()));
            r.put("start_socket_enter_p50_ms", Stats.of(ss.enters()).p50);
            putStats("destroy_socket", Stats.of(ss.destroys()));
            out.printf("   socket (%s server): start %s%n", server.kind, Stats.of(ss.starts()));
            if (!cEnter.isEmpty()) {
                ClientBench.Series cs = new ClientBench.Series(cEnter, 0);
                putStats("start_c_enter", Stats.of(cs.starts()));
                r.put("start_c_enter_enter_p50_ms", Stats.of(cs.enters()).p50);
                r.put("start_c_enter_vs_socket_p50", Stats.of(cs.starts()).p50 / Stats.of(ss.starts()).p50);
                r.put("c_enter_does", "librocker_client's ROCKER_enter_rocker (PREPARE, join, the callback as the caller's child, "
                        + "STARTED) through the same server, then waitpid; the callback writes the marker: the span of start_socket");
                out.printf("   C library ROCKER_enter_rocker (same server): start %s, %.2fx the Java remote client%n", Stats.of(cs.starts()),
                        r.get("start_c_enter_vs_socket_p50"));
            }
        }
        failed.putAll(broken);
    }

    /**
     * Shared image mounts (issue 19): the first rocker of an image (cold) against the seed's floor, a static
     * busybox app's first output cold and warm, and the loop devices 100 live rockers of 3 images use. On an
     * engine of its own with no grace period (its holders go with their last rocker), 2 spare guards.
     */
    private void images() throws Exception {
        String guard = cfg.guard;
        rocker.impl.linux.RockerEngine engine = new rocker.impl.linux.RockerEngine(ws.state("images"), () -> guard,
                Duration.ofSeconds(10), 2);
        engine.imageGrace(Duration.ZERO);
        cleanup.add("images engine", engine::close);
        Tracker tracker = new Tracker("images", engine);
        trackers.add(tracker);
        cleanup.add("rockers of images", tracker::destroyAll);
        ImageBench ib = new ImageBench(ws, engine, tracker);
        ib.coldStarts(cfg.warmup());
        Stats cold = Stats.of(ib.coldStarts(Math.max(3, cfg.n() / 2)));
        putStats("start_cold", cold);
        out.printf("   engine, first rocker of an image: start %s%n", cold);
        java.util.Optional<Path> bb = java.util.stream.Stream.of("/bin/busybox", "/usr/bin/busybox").map(Path::of)
                .filter(Files::isExecutable).findFirst();
        if (bb.isEmpty()) {
            skipped.put("busybox app", "missing busybox (apt-get install busybox-static)");
        } else {
            List<List<Long>> app = ib.busybox(bb.get(), Math.max(3, cfg.probes()));
            putStats("app_busybox_cold", Stats.of(app.get(0)));
            putStats("app_busybox_warm", Stats.of(app.get(1)));
            out.printf("   busybox app, enterRocker -> first output: cold %s; warm %s%n", Stats.of(app.get(0)), Stats.of(app.get(1)));
        }
        int live = cfg.mode == Mode.SMOKE ? 12 : 100;
        int loops = ib.loopsInUse(live, 3);
        r.put("loops_in_use_live_rockers", live);
        r.put("loops_in_use_100_live_3_images", loops);
        out.printf("   %d live rockers of 3 images: %d loop devices%n", live, loops);
        cleanup.runNow("images engine");
    }

    /** 8 concurrent clients (or floor/bwrap worker processes), interleaved in blocks like {@link #starts}. */
    private void concurrent(ClientBench eb, NativeBench nb) throws Exception {
        boolean bw = !failed.containsKey("bwrap") && !skipped.containsKey("bwrap") && r.get("bwrap_version") != null;
        Map<String, String> broken = new LinkedHashMap<>();
        int blocks = cfg.mode == Mode.SMOKE ? 1 : cfg.blocks();
        int per = Math.max(8, (cfg.concurrentN() + blocks - 1) / blocks);
        List<ClientBench.Sample> engine = new ArrayList<>();
        List<ClientBench.Sample> socket = new ArrayList<>();
        NativeBench.Series floor = new NativeBench.Series();
        NativeBench.Series floorShared = new NativeBench.Series();
        NativeBench.Series bwrap = new NativeBench.Series();
        long engineWall = 0;
        // warm-up, as for the sequential starts: the concurrent paths' JIT (the spare pool growing to the burst,
        // its refill), page cache; not counted
        if (cfg.mode != Mode.SMOKE) {
            eb.concurrent(ws.dataRoot("engine-c8-warmup"), cfg.warmup(), 8);
            nb.floor("floor-c8-warmup", cfg.warmup(), 8);
            nb.floor("floor-shared-c8-warmup", cfg.warmup(), 8, "clone");
            if (sb != null) attempt(broken, "socket (8 concurrent)", () -> sb.concurrent(ws.dataRoot("socket-c8-warmup"), cfg.warmup(), 8));
        }
        for (int k = 0; k < blocks; k++) {
            ClientBench.Series es = eb.concurrent(ws.dataRoot("engine-c8-" + k), per, 8);
            engine.addAll(es.samples());
            engineWall += es.wallNs();
            floor.add(nb.floor("floor-c8-" + k, per, 8));
            floorShared.add(nb.floor("floor-shared-c8-" + k, per, 8, "clone"));
            int block = k;
            if (bw) attempt(broken, "bwrap (8 concurrent)", () -> bwrap.add(nb.bwrap("bwrap-c8-" + block, per, 8)));
            if (sb != null && cfg.mode != Mode.SMOKE) {
                attempt(broken, "socket (8 concurrent)", () -> socket.addAll(sb.concurrent(ws.dataRoot("socket-c8-" + block), per, 8).samples()));
            }
        }
        ClientBench.Series e = new ClientBench.Series(engine, engineWall);
        putStats("concurrent8", Stats.of(e.starts()));
        r.put("concurrent8_destroy_p50_ms", Stats.of(e.destroys()).p50);
        r.put("concurrent8_starts_per_s", Math.round(engine.size() / (engineWall / 1e9) * 10) / 10.0);
        putStats("floor_concurrent8", Stats.of(floor.starts));
        putStats("floor_shared_concurrent8", Stats.of(floorShared.starts));
        if (!bwrap.starts.isEmpty()) putStats("bwrap_concurrent8", Stats.of(bwrap.starts));
        if (!socket.isEmpty()) putStats("concurrent8_socket", Stats.of(new ClientBench.Series(socket, 0).starts()));
        out.printf("   8 at once: engine %s; floor %s%n", Stats.of(e.starts()), Stats.of(floor.starts));
        failed.putAll(broken);
    }

    private interface Attempt {
        void run() throws Exception;
    }

    /** Runs one contender's block; its first failure is recorded and it is left out from then on. */
    private static void attempt(Map<String, String> broken, String name, Attempt a) throws InterruptedException {
        if (broken.containsKey(name)) return;
        try {
            a.run();
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            broken.put(name, e.getMessage() != null ? e.getMessage() : e.toString());
        }
    }

    /** Whether the tools of a contender are there; if not, it is skipped with what is missing. */
    private boolean usable(String part, String... tools) {
        List<String> missing = new ArrayList<>();
        for (String t : tools) {
            if (Proc.which(t.substring(0, t.indexOf(' '))).isEmpty()) missing.add(t);
        }
        if (missing.isEmpty()) return true;
        skip(part, "missing " + String.join(", ", missing));
        return false;
    }

    // ---- footprint -------------------------------------------------------------------------------

    private void guardFootprint(ClientBench eb) throws Exception {
        ClientBench.Sample s = eb.start(ws.dataRoot("footprint").resolve("0"), true);
        try {
            long guard = s.guardPid();
            r.put("guard_rss_kib", Kernel.statusKib(guard, "VmRSS"));
            r.put("guard_pss_kib", Kernel.pssKib(guard));
            long keeper = Kernel.status(guard, "PPid").map(Long::parseLong).orElse(-1L);
            if (keeper > 0 && Kernel.comm(keeper).map("rocker-keeper"::equals).orElse(false)) {
                r.put("keeper_rss_kib", Kernel.statusKib(keeper, "VmRSS"));
                r.put("keeper_pss_kib", Kernel.pssKib(keeper));
            }
            r.put("guard_binary_bytes", Files.size(Path.of(cfg.guard)));
            out.printf("   guard VmRSS %s KiB (Pss %s KiB), keeper VmRSS %s KiB%n", r.get("guard_rss_kib"),
                    r.get("guard_pss_kib"), r.get("keeper_rss_kib"));
        } finally {
            eb.destroy(s.name());
        }
    }

    private void profile(ClientBench eb) throws Exception {
        Path data = ws.dataRoot("profile");
        List<Long> starts = new ArrayList<>();
        try (Profiler p = new Profiler(Thread.currentThread(), 500)) {
            for (int i = 0; i < cfg.profileRuns(); i++) {
                ClientBench.Sample s = eb.start(data.resolve(Integer.toString(i)), true);
                starts.add(s.startNs());
                p.pause(true); // the destroy is not part of the start
                eb.destroy(s.name());
                p.pause(false);
            }
            r.put("profile_engine", p.report(Stats.of(starts).mean));
        } finally {
            eb.tracker.destroyAll();
        }
        r.put("profile_note", "stack samples of the calling thread (and of the engine's rocker-mount-* thread) every 0.5 ms on "
                + cfg.profileRuns() + " extra starts, charged to the engine step it was in; ms = share x mean start; "
                + "GuardProcess.start waits for the keeper/guard processes, MountInterpreter.run for the mount thread, "
                + "AppStarter.start for the guard to fork, set up and exec the app");
    }

    // ---- the socket server -----------------------------------------------------------------------

    private ServerProcess server;
    /** The state dir of the server's engine (its registry of rockers). */
    private Path serverEngineState;
    private ClientBench sb;

    /** Starts the server (the launcher, else the plain-classpath one), measures it idle; its starts come with the others. */
    private void serverStart() throws Exception {
        Path dir = Files.createDirectories(ws.root.resolve("server"));
        Path socket = dir.resolve("rocker.sock");
        List<String> jvm = List.of("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        Path jar = cfg.root.resolve("cnf/target/rocker.jar");
        ServerProcess sp = null;
        if (Files.isRegularFile(jar)) {
            sp = startServer(() -> ServerProcess.script(cfg.root.resolve("rocker"), socket, ws.state("server"), ws.log("server-launcher.log")),
                    cfg.launcherPatience());
            if (sp != null) r.put("server_ready_ms", ms(sp.readyNanos));
            serverEngineState = ws.state("server");
        } else {
            notes.add("launcher: " + jar + " is missing (build it: mvn -pl cnf -am package -DskipTests); server_ready_ms is null");
        }
        if (sp == null) {
            Files.deleteIfExists(socket);
            sp = startServer(() -> ServerProcess.plain(socket, ws.state("server-plain"), cfg.guard, jvm, ws.log("server-plain.log")),
                    Duration.ofSeconds(60));
            if (sp == null) throw new BenchException("no server could be started (launcher and plain class path); see the notes");
            notes.add("the socket figures come from the plain-classpath server (rocker.server's UnixSocketServer and the engine "
                    + "without OSGi, bench's PlainServer): the launcher was not usable");
            r.put("server_plain_ready_ms", ms(sp.readyNanos));
            serverEngineState = ws.state("server-plain").resolve("engine");
        }
        r.put("server_kind", sp.kind);
        server = sp;
        cleanup.add("server " + sp.kind, sp::close);
        sb = new ClientBench("socket", new RemoteRockerClient(socket.toString()), ws, cleanup);
        trackers.add(sb.tracker);

        // let start-up work settle before "idle"; the socket must stay there (a server that re-binds
        // after it said it is ready makes clients fail in between: counted and noted)
        int gaps = server.watchSocket(Duration.ofSeconds(3));
        r.put("server_socket_gaps_after_ready", gaps);
        if (gaps > 0) {
            notes.add(sp.kind + " server: its socket went away " + gaps + " time(s) within 3 s after it answered first "
                    + "(the server component restarted after start-up); clients connecting then fail with server_unaddr_invalid");
        }
        if (!server.awaitReady(Duration.ofSeconds(30))) throw new BenchException(sp.kind + " server stopped answering: " + sp.logGist());
        List<Double> fresh = new ArrayList<>();
        List<Double> served = new ArrayList<>();
        fresh.add(mib(settledRssKib(server)));
        r.put("server_idle_rss_mib", fresh.get(0));
        Map<String, Double> heap = server.heapKib(true, ws.log("jstat.log"));
        r.put("server_idle_heap_used_mib", heap.containsKey("used") ? mib(heap.get("used")) : null);
        r.put("server_idle_heap_committed_mib", heap.containsKey("committed") ? mib(heap.get("committed")) : null);
        r.put("server_idle_rss_after_gc_mib", mib(server.rssKib()));
        r.put("server_threads_idle", Kernel.status(server.pid(), "Threads").map(Integer::parseInt).orElse(null));
        out.printf("   %s server: ready %s ms, idle RSS %s MiB%n", sp.kind, ms(sp.readyNanos), r.get("server_idle_rss_mib"));
        served.add(serveAndSettle(server, sb, "socket-serve-0"));
        r.put("server_idle_rss_after_serving_mib", served.get(0));
        r.put("server_threads_after_serving", Kernel.status(server.pid(), "Threads").map(Integer::parseInt).orElse(null));
        if (sp.kind.equals("launcher")) {
            // more server starts, as users start them, each measured fresh and after serving (no jcmd)
            List<Double> ready = new ArrayList<>(List.of(ms(sp.readyNanos)));
            for (int round = 1; round < cfg.serverRounds(); round++) {
                int n = round;
                Path rd = Files.createDirectories(ws.root.resolve("server-" + round));
                Path rs = rd.resolve("rocker.sock");
                ServerProcess extra = startServer(() -> ServerProcess.script(cfg.root.resolve("rocker"), rs, ws.state("server-" + n),
                        ws.log("server-launcher-" + n + ".log")), cfg.launcherPatience());
                if (extra == null) throw new BenchException("server start " + (round + 1) + " not usable; see the notes");
                try {
                    ready.add(ms(extra.readyNanos));
                    fresh.add(mib(settledRssKib(extra)));
                    ClientBench cb = new ClientBench("socket-" + round, new RemoteRockerClient(rs.toString()), ws, cleanup);
                    trackers.add(cb.tracker);
                    served.add(serveAndSettle(extra, cb, "socket-serve-" + round));
                } finally {
                    extra.close();
                }
            }
            r.put("server_ready_ms_rounds", ready);
        }
        r.put("server_idle_rss_fresh_mib_rounds", fresh);
        r.put("server_idle_rss_after_serving_mib_rounds", served);
        r.put("server_idle_rss_fresh_max_mib", fresh.stream().mapToDouble(Double::doubleValue).max().orElse(-1));
        r.put("server_idle_rss_after_serving_max_mib", served.stream().mapToDouble(Double::doubleValue).max().orElse(-1));
        r.put("server_serving_does", served.size() + " server start(s) (./rocker serve), each idle RSS read once settled (at least "
                + cfg.settleMin().toSeconds() + " s and stable for 2 s), then after " + cfg.serverServed()
                + " starts through its socket (built, app exited, destroyed; every other one with its output streamed back), settled again");
        out.printf("   idle RSS over %d server start(s): fresh %s, after %d starts %s MiB (max %s)%n", served.size(), fresh,
                cfg.serverServed(), served, r.get("server_idle_rss_after_serving_max_mib"));
    }

    /**
     * {@code n} starts through the server's socket (every other one with its stdout and stderr streamed
     * back to the bench and checked), each destroyed; then the server's RSS once it has settled.
     */
    private double serveAndSettle(ServerProcess sp, ClientBench cb, String part) throws Exception {
        Path data = ws.dataRoot(part);
        for (int i = 0; i < cfg.serverServed(); i++) {
            if (i % 2 == 0) {
                cb.start(data.resolve(Integer.toString(i)), false);
            } else {
                java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
                cb.start(data.resolve(Integer.toString(i)), false, ws.streamedApp(buf));
                String got = buf.toString(java.nio.charset.StandardCharsets.UTF_8);
                if (!got.equals("streamed\n")) {
                    throw new BenchException(part + ": the streamed output was '" + got + "', not echo's line");
                }
            }
        }
        return mib(settledRssKib(sp));
    }

    /**
     * The server's VmRSS once it is idle and settled: read every 0.5 s, at least {@code settleMin} after
     * the call and until the last 2 s of readings lie within 256 KiB (at most 20 s).
     */
    private long settledRssKib(ServerProcess sp) throws InterruptedException {
        long t0 = System.nanoTime();
        long min = cfg.settleMin().toNanos();
        List<Long> window = new ArrayList<>();
        while (true) {
            long rss = sp.rssKib();
            window.add(rss);
            if (window.size() > 5) window.remove(0);
            long elapsed = System.nanoTime() - t0;
            long spread = window.stream().mapToLong(Long::longValue).max().orElse(0) - window.stream().mapToLong(Long::longValue).min().orElse(0);
            if (rss < 0 || elapsed >= Duration.ofSeconds(20).toNanos() || (elapsed >= min && window.size() == 5 && spread <= 256)) return rss;
            Thread.sleep(500);
        }
    }

    /**
     * The client commands against the live server: {@code ./rocker ls} (a plain class path since issue 16)
     * beside the plain-JVM floor that sends the same LIST frame and the launcher as it ran them before
     * (CliBench). New processes each, interleaved; wall time and peak RSS.
     */
    private void cliCommands() throws Exception {
        CliBench cb = new CliBench(cfg.nativeDir, cfg.root, server.socket, ws.root.resolve("cli"), ws.root.resolve("logs"));
        boolean launcher = Files.isRegularFile(cfg.root.resolve("cnf/target/rocker.jar"));
        cb.measure(cfg.mode == Mode.SMOKE ? 1 : 2, cfg.cliN(), launcher ? cfg.cliLauncherN() : 0);
        putStats("cli_ls", Stats.of(cb.cli.wallNs));
        r.put("cli_ls_max_rss_mib", mib(cb.cli.maxRssKib()));
        r.put("cli_ls_rss_p50_mib", mib(cb.cli.p50RssKib()));
        r.put("cli_ls_cds", cb.cds());
        putStats("cli_floor_ls", Stats.of(cb.floor.wallNs));
        r.put("cli_floor_ls_max_rss_mib", mib(cb.floor.maxRssKib()));
        if (!cb.launcher.wallNs.isEmpty()) {
            putStats("cli_launcher_ls", Stats.of(cb.launcher.wallNs));
            r.put("cli_launcher_ls_max_rss_mib", mib(cb.launcher.maxRssKib()));
        }
        r.put("cli_does", "./rocker ls --socket S (rocker.cli.Main on cnf/target/client/*.jar" + (cb.cds() ? ", with its CDS archive" : "")
                + ") vs java -cp BENCH rocker.bench.ListFloor S (JDK only, default JVM options: the same LIST frame)"
                + " vs java -jar cnf/target/rocker.jar ls --socket S (the launcher, as before)");
        out.printf("   ./rocker ls: %s, max RSS %s MiB; floor: %s, max RSS %s MiB; launcher: %s, max RSS %s MiB%n",
                Stats.of(cb.cli.wallNs), r.get("cli_ls_max_rss_mib"), Stats.of(cb.floor.wallNs), r.get("cli_floor_ls_max_rss_mib"),
                cb.launcher.wallNs.isEmpty() ? "-" : Stats.of(cb.launcher.wallNs), r.get("cli_launcher_ls_max_rss_mib"));
    }

    /** The server with N live rockers, then (full run) the same server with small-footprint JVM flags. */
    private void serverFootprint() throws Exception {
        int live = cfg.serverLive();
        if (live > 0) {
            Path data = ws.dataRoot("socket-live");
            List<String> names = new ArrayList<>();
            try {
                for (int i = 0; i < live; i++) names.add(sb.start(data.resolve(Integer.toString(i)), true).name());
                r.put("server_live_rockers", names.size());
                r.put("server_rss_mib_with_" + live + "_live", mib(server.rssKib()));
                Map<String, Double> h = server.heapKib(true, ws.log("jstat.log"));
                r.put("server_heap_used_mib_with_" + live + "_live", h.containsKey("used") ? mib(h.get("used")) : null);
                // after that full GC: native memory held only by garbage (e.g. direct buffers) is gone
                r.put("server_rss_mib_with_" + live + "_live_after_gc", mib(server.rssKib()));
                r.put("server_threads_with_" + live + "_live", Kernel.status(server.pid(), "Threads").map(Integer::parseInt).orElse(null));
                out.printf("   %s server with %d live rockers: RSS %s MiB%n", server.kind, live, r.get("server_rss_mib_with_" + live + "_live"));
                adoption(live);
            } finally {
                List<Long> ds = new ArrayList<>();
                for (String n : names) ds.add(sb.destroy(n));
                if (!ds.isEmpty()) r.put("destroy_socket_p50_ms_from_" + live + "_live", Stats.of(ds).p50);
            }
        }
        String kind = server.kind;
        cleanup.runNow("server " + kind);
        if (cfg.mode == Mode.FULL) {
            // the same server with a small-footprint JVM configuration: how far flags alone go
            Path dir = ws.root.resolve("server");
            Path socket = dir.resolve("rocker.sock");
            Path jar = cfg.root.resolve("cnf/target/rocker.jar");
            List<String> small = List.of("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-XX:+UseSerialGC", "-Xmx64m",
                    "-XX:TieredStopAtLevel=1", "-Xss256k", "-XX:ReservedCodeCacheSize=16m");
            Files.deleteIfExists(socket);
            ServerProcess tuned = startServer(() -> kind.equals("launcher")
                    ? ServerProcess.launcher(jar, socket, ws.state("server"), small, ws.log("server-small.log"))
                    : ServerProcess.plain(socket, ws.state("server-plain"), cfg.guard, small, ws.log("server-small.log")),
                    Duration.ofSeconds(60));
            if (tuned != null) {
                try {
                    Thread.sleep(2000);
                    r.put("server_idle_rss_mib_small_jvm", mib(tuned.rssKib()));
                    r.put("server_ready_ms_small_jvm", ms(tuned.readyNanos));
                    r.put("server_small_jvm_flags", String.join(" ", small.subList(1, small.size())));
                } finally {
                    tuned.close();
                }
            }
        }
    }

    /**
     * What a restarted server does first, measured beside the live one: a new engine on the server's
     * state dir reconciles (reads every record, scans /proc for guards, adopts each running rocker by
     * connecting to its status socket). The live server's spares are its own and left alone.
     */
    private void adoption(int live) {
        long t0 = System.nanoTime();
        try (RockerEngine adopter = new RockerEngine(serverEngineState, () -> cfg.guard, Duration.ofSeconds(10), 0)) {
            long adopted = System.nanoTime() - t0;
            int listed = adopter.list().size();
            r.put("adopt_ms_with_" + live + "_live", ms(adopted));
            r.put("adopted_with_" + live + "_live", listed);
            out.printf("   a new engine on the server's state dir adopted %d of %d live rockers in %.1f ms%n", listed, live, ms(adopted));
        } catch (RuntimeException e) {
            notes.add("adoption not measured: " + e);
        }
    }

    private interface ServerStarter {
        ServerProcess start() throws IOException;
    }

    /** Starts a server and waits for it; null (and a note with its log) when it is not usable. */
    private ServerProcess startServer(ServerStarter starter, Duration patience) throws Exception {
        ServerProcess sp = starter.start();
        cleanup.add("server process " + sp.pid(), sp::close);
        boolean ready = sp.awaitReady(patience);
        if (ready) return sp;
        String why = sp.failure != null ? "it logged an error" : sp.process.isAlive()
                ? "not ready within " + patience.toSeconds() + " s" : "exited with " + sp.process.exitValue();
        notes.add(sp.kind + " server not usable (" + why + "): " + sp.logGist());
        out.println("   " + sp.kind + " server not usable: " + why + " (log: " + sp.log + ")");
        sp.close();
        return null;
    }

    // ---- scale -----------------------------------------------------------------------------------

    private void scale(ClientBench eb) throws Exception {
        r.put("loop_max_loop_param", Kernel.sysParam("/sys/module/loop/parameters/max_loop"));
        r.put("loop_max_part_param", Kernel.sysParam("/sys/module/loop/parameters/max_part"));
        ScaleBench sc = new ScaleBench();
        try {
            sc.run(eb, ws.dataRoot("scale"), cfg.warmup(), cfg.scaleLevels(), cfg.scaleProbes(), cfg.loopLimit());
        } finally {
            r.putAll(sc.figures);
        }
        if (cfg.loopLimit() == 0) {
            r.put("loop_limit_rockers_created", null);
            notes.add("loop-device limit probe: only in the full run");
        }
        out.printf("   one more start with N live: %s%n", sc.figures.get("scale_levels"));
        if (sc.figures.containsKey("loop_limit_error")) {
            out.printf("   loop limit: %s rockers made; %s%n", sc.figures.get("loop_limit_rockers_created"), sc.figures.get("loop_limit_error"));
        }
    }

    // ---- PostgreSQL ------------------------------------------------------------------------------

    private void postgres(ClientBench eb) throws Exception {
        PgBench pg = new PgBench(ws, cleanup, eb);
        java.util.Optional<String> missing = pg.missing();
        if (missing.isPresent()) {
            skip("postgresql", "missing " + missing.get());
            return;
        }
        try {
            pg.run(10, 4, 2, 15, 4, 8); // an even number of rounds: each side goes first as often
        } finally {
            r.putAll(pg.figures);
        }
        out.printf("   pgbench TPS native %.0f, in a rocker %.0f (ratio %.3f); select-only %.0f / %.0f%n",
                (Double) pg.figures.get("pg_tps_native"), (Double) pg.figures.get("pg_tps_rocker"),
                (Double) pg.figures.get("pg_tps_ratio"), (Double) pg.figures.get("pg_ro_tps_native"),
                (Double) pg.figures.get("pg_ro_tps_rocker"));
    }

    // ---- JMH -------------------------------------------------------------------------------------

    private void jmh() throws Exception {
        org.openjdk.jmh.runner.options.Options opt = new org.openjdk.jmh.runner.options.OptionsBuilder()
                .include("rocker\\.bench\\.jmh\\..*")
                .forks(1)
                .warmupIterations(2).warmupTime(org.openjdk.jmh.runner.options.TimeValue.seconds(1))
                .measurementIterations(5).measurementTime(org.openjdk.jmh.runner.options.TimeValue.seconds(1))
                .jvmArgsAppend("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
                .verbosity(org.openjdk.jmh.runner.options.VerboseMode.SILENT)
                .build();
        Map<String, Object> res = new LinkedHashMap<>();
        for (org.openjdk.jmh.results.RunResult rr : new org.openjdk.jmh.runner.Runner(opt).run()) {
            String name = rr.getParams().getBenchmark();
            name = name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1);
            org.openjdk.jmh.results.Result<?> p = rr.getPrimaryResult();
            res.put(name + "_ns", Math.round(p.getScore() * 100) / 100.0);
            out.printf("   %-40s %10.2f ns/op (+- %.2f)%n", name, p.getScore(), p.getScoreError());
        }
        r.put("jmh", res);
    }

    // ---- the end ---------------------------------------------------------------------------------

    /** Nothing of ours may be left: rockers, loop devices, mounts, child processes. */
    private List<String> leakCheck(Set<String> mountsBefore) throws Exception {
        List<String> leaks = new ArrayList<>();
        for (Tracker t : trackers) t.destroyAll();
        cleanup.runNow("engine");
        // auto-clear loop devices are detached asynchronously
        KernelView.eventually(Duration.ofSeconds(5), () -> KernelView.loopsOn(ws.root + "/").isEmpty());
        for (String l : KernelView.loopsOn(ws.root + "/")) leaks.add("loop device " + l);
        Set<String> now = new TreeSet<>(KernelView.mountPoints());
        now.removeAll(mountsBefore);
        for (String m : now) {
            if (m.startsWith(ws.root.toString()) || Workspace.OVERLAYS.contains(m)) leaks.add("host mount " + m);
        }
        KernelView.eventually(Duration.ofSeconds(5), () -> ProcessHandle.current().descendants().noneMatch(ProcessHandle::isAlive));
        ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).forEach(h ->
                leaks.add("process " + h.pid() + " " + h.info().command().orElse("?")));
        r.put("loop_devices_total_end", KernelView.loopBackingFiles().size());
        return leaks;
    }

    private void ratios() {
        ratio("ratio_start_vs_floor", "start_p50_ms", "floor_p50_ms");
        ratio("ratio_start_vs_bwrap", "start_p50_ms", "bwrap_p50_ms");
        ratio("ratio_cycle_vs_floor_cycle", "cycle_p50_ms", "floor_cycle_p50_ms");
        ratio("ratio_cycle_vs_bwrap", "cycle_p50_ms", "bwrap_p50_ms");
        ratio("ratio_start_vs_unshare", "start_p50_ms", "unshare_p50_ms");
        ratio("ratio_socket_vs_engine", "start_socket_p50_ms", "start_p50_ms");
        ratio("ratio_concurrent8_vs_floor_concurrent8", "concurrent8_p50_ms", "floor_concurrent8_p50_ms");
        ratio("ratio_start_vs_floor_shared", "start_p50_ms", "floor_shared_p50_ms");
        ratio("ratio_start_spaced_vs_floor_spaced", "start_spaced_p50_ms", "floor_spaced_p50_ms");
        // the same job with Rocker's containment, in C with nothing made ahead: what containment itself costs
        ratio("ratio_start_vs_floor_contained", "start_p50_ms", "floor_contained_p50_ms");
        ratio("ratio_floor_contained_vs_floor_shared", "floor_contained_p50_ms", "floor_shared_p50_ms");
        ratio("ratio_start_cold_vs_floor", "start_cold_p50_ms", "floor_p50_ms");
        ratio("ratio_concurrent8_vs_floor_shared_concurrent8", "concurrent8_p50_ms", "floor_shared_concurrent8_p50_ms");
        ratio("ratio_app_busybox_warm_vs_cold", "app_busybox_warm_p50_ms", "app_busybox_cold_p50_ms");
        ratio("ratio_500_live_vs_0_live", "start_p50_ms_with_500_live", "start_p50_ms_with_0_live");
        ratio("ratio_pg_tps", "pg_tps_rocker", "pg_tps_native");
        ratio("ratio_cli_ls_vs_floor", "cli_ls_p50_ms", "cli_floor_ls_p50_ms");
        ratio("ratio_cli_launcher_ls_vs_floor", "cli_launcher_ls_p50_ms", "cli_floor_ls_p50_ms");
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("start_p50 <= 1.25 x floor_p50", check(num("ratio_start_vs_floor"), v -> v <= 1.25));
        t.put("start_p50 (warm image) <= 0.8 x floor_p50 (per-sandbox loop)", check(num("ratio_start_vs_floor"), v -> v <= 0.8));
        t.put("first rocker of an image <= 1.25 x floor_p50", check(num("ratio_start_cold_vs_floor"), v -> v <= 1.25));
        t.put("start_p50 <= 1.25 x shared-mount floor", check(num("ratio_start_vs_floor_shared"), v -> v <= 1.25));
        t.put("8 concurrent <= 1.3 x floor's 8 workers", check(num("ratio_concurrent8_vs_floor_concurrent8"), v -> v <= 1.3));
        t.put("socket <= 1.1 x engine", check(num("ratio_socket_vs_engine"), v -> v <= 1.1));
        t.put("busybox app first output, warm <= 0.5 x cold", check(num("ratio_app_busybox_warm_vs_cold"), v -> v <= 0.5));
        t.put("100 live rockers of 3 images use 3 loop devices", check(num("loops_in_use_100_live_3_images"), v -> v <= 3));
        t.put("start_p50 < bwrap_p50", check(num("ratio_start_vs_bwrap"), v -> v < 1.0));
        t.put("guard_rss < 1 MiB", check(num("guard_rss_kib"), v -> v < 1024));
        t.put("server_idle_rss <= 64 MiB", check(num("server_idle_rss_mib"), v -> v <= 64));
        t.put("server idle RSS after serving <= 64 MiB, max over server starts", check(num("server_idle_rss_after_serving_max_mib"), v -> v <= 64));
        t.put("cli ls p50 <= 1.6 x plain-JVM floor", check(num("ratio_cli_ls_vs_floor"), v -> v <= 1.6));
        t.put("cli ls max RSS <= 48 MiB", check(num("cli_ls_max_rss_mib"), v -> v <= 48));
        t.put("pg_tps_rocker >= 0.97 x native", check(num("ratio_pg_tps"), v -> v >= 0.97));
        t.put("start flat with 500 live (<= 1.25 x 0 live)", check(num("ratio_500_live_vs_0_live"), v -> v <= 1.25));
        t.put("a restart adopts 500 live in < 2 s", num("adopted_with_500_live") == null || num("adopted_with_500_live") >= 500
                ? check(num("adopt_ms_with_500_live"), v -> v < 2000) : "MISSED (adopted " + num("adopted_with_500_live") + ")");
        r.put("targets", t);
        r.put("loadavg_end", Kernel.sysParam("/proc/loadavg"));
    }

    private static Object check(Double v, java.util.function.DoublePredicate ok) {
        return v == null ? "not measured" : ok.test(v) ? "met" : "MISSED";
    }

    private void ratio(String key, String a, String b) {
        Double x = num(a);
        Double y = num(b);
        r.put(key, x == null || y == null || y == 0 ? null : Math.round(x / y * 1000) / 1000.0);
    }

    private Double num(String key) {
        Object v = r.get(key);
        return v instanceof Number ? ((Number) v).doubleValue() : null;
    }

    private void putStats(String prefix, Stats s) {
        if (s == null) return;
        r.put(prefix + "_p50_ms", s.p50);
        r.put(prefix + "_p99_ms", s.p99);
        r.put(prefix + "_max_ms", s.max);
        r.put(prefix + "_mean_ms", s.mean);
        r.put(prefix + "_n", s.n);
    }

    private static double ms(long nanos) {
        return Math.round(nanos / 1e4) / 100.0;
    }

    private static Double mib(double kib) {
        return kib < 0 ? null : Math.round(kib / 1024.0 * 10) / 10.0;
    }
}
