package rocker.bench;

import java.io.File;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import rocker.api.RockerApp;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.api.Stdio;

/**
 * App overhead (the seed's plan): PostgreSQL natively and inside a rocker (its cluster under the
 * overlaid /var, so every write goes through overlayfs into the data dir), both as the postgres
 * uid/gid, both on the same file system (the bench's work dir), both answering on a Unix socket in the
 * work dir; pgbench from the host, same scale, clients and duration, rounds alternating between the two.
 */
final class PgBench {
    /** The rocker's app (in the image): a fresh cluster under /var/lib/postgresql, then postgres in the foreground. */
    static final String SCRIPT = "#!/bin/sh\n"
            + "# rocker bench: PostgreSQL inside a rocker; PGBIN, PGDATA, PGSOCK, PGPORT come from the environment\n"
            + "set -e\n"
            + "\"$PGBIN/initdb\" -D \"$PGDATA\" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null\n"
            + "exec \"$PGBIN/postgres\" -D \"$PGDATA\" -k \"$PGSOCK\" -p \"$PGPORT\" -c listen_addresses= -c synchronous_commit=off\n";

    static final int NATIVE_PORT = 54321;
    static final int ROCKER_PORT = 54322;
    private static final Pattern TPS = Pattern.compile("tps = ([0-9.]+) \\(without initial connection time\\)");

    final Map<String, Object> figures = new LinkedHashMap<>();
    private final Workspace ws;
    private final Cleanup cleanup;
    private final ClientBench engine;
    private Path bin;
    private int uid;
    private int gid;

    PgBench(Workspace ws, Cleanup cleanup, ClientBench engine) {
        this.ws = ws;
        this.cleanup = cleanup;
        this.engine = engine;
    }

    /** What is missing to run this part, or empty. */
    Optional<String> missing() {
        bin = findBin().orElse(null);
        if (bin == null) {
            return Optional.of("PostgreSQL server binaries (/usr/lib/postgresql/*/bin/{initdb,postgres}): "
                    + "apt-get install postgresql");
        }
        if (!Files.isExecutable(bin.resolve("psql"))) {
            return Optional.of("psql (" + bin.resolve("psql") + "): apt-get install postgresql-client");
        }
        if (!Files.isExecutable(bin.resolve("pgbench"))) {
            return Optional.of("pgbench (" + bin.resolve("pgbench") + "): apt-get install postgresql-contrib or postgresql-client");
        }
        if (Proc.which("setpriv").isEmpty()) return Optional.of("setpriv: apt-get install util-linux");
        if (Proc.which("setsid").isEmpty()) return Optional.of("setsid: apt-get install util-linux");
        Optional<int[]> ids = postgresIds();
        if (ids.isEmpty()) return Optional.of("the postgres user (it comes with the postgresql package)");
        uid = ids.get()[0];
        gid = ids.get()[1];
        return Optional.empty();
    }

    private static Optional<Path> findBin() {
        Path base = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(base)) return Optional.empty();
        List<Path> versions = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(base)) {
            for (Path p : s) {
                if (Files.isExecutable(p.resolve("bin/postgres")) && Files.isExecutable(p.resolve("bin/initdb"))) versions.add(p);
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return versions.stream().max(Comparator.comparingInt(p -> {
            try {
                return Integer.parseInt(p.getFileName().toString());
            } catch (NumberFormatException e) {
                return 0;
            }
        })).map(p -> p.resolve("bin"));
    }

    private static Optional<int[]> postgresIds() {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
                String[] f = line.split(":");
                if (f.length > 3 && f[0].equals("postgres")) {
                    return Optional.of(new int[] {Integer.parseInt(f[2]), Integer.parseInt(f[3])});
                }
            }
        } catch (IOException | NumberFormatException e) {
            // none
        }
        return Optional.empty();
    }

    void run(int scale, int clients, int threads, int seconds, int rounds, int roSeconds) throws Exception {
        Path pg = Files.createDirectories(ws.root.resolve("pg"));
        Path nativeData = ownedDir(pg.resolve("native-data"), 0700);
        Path nativeSock = ownedDir(pg.resolve("sock-native"), 0755);
        Path rockerSock = ownedDir(pg.resolve("sock-rocker"), 0755);
        Path rockerData = pg.resolve("rocker-data");
        figures.put("pg_version", Proc.firstLine(ws.log("pg-version.log"), bin.resolve("postgres").toString(), "--version"));
        figures.put("pg_settings", "pgbench -s " + scale + " -c " + clients + " -j " + threads + " -T " + seconds
                + " (TPC-B like) and select-only -S -T " + roSeconds + ", " + rounds + " alternating rounds each (each run after a CHECKPOINT of both clusters and sync); unix socket; "
                + "PostgreSQL defaults but synchronous_commit=off (commits do not wait for the shared, noisy disk: CPU and "
                + "file-system bound, which is where overlayfs could cost); both clusters on the work dir's file system; both postmasters in a session of their own");

        // native
        Proc.Result init = Proc.run(asPostgres(bin.resolve("initdb").toString(), "-D", nativeData.toString(), "-U", "postgres",
                "--auth=trust", "-E", "UTF8", "--no-sync"), ws.log("pg-native-initdb.log"), 120, TimeUnit.SECONDS);
        if (init.exit != 0) throw new BenchException("initdb (native) failed: " + init.output());
        // in a session of its own, like a daemon and like the rocker's app (which the guard setsid()s): with
        // sched_autogroup_enabled=1 a session is a scheduling group, so both PostgreSQLs compete alike with pgbench
        List<String> nativeCmd = new ArrayList<>(List.of("setsid", "-w"));
        nativeCmd.addAll(asPostgres(bin.resolve("postgres").toString(), "-D", nativeData.toString(),
                "-k", nativeSock.toString(), "-p", Integer.toString(NATIVE_PORT), "-c", "listen_addresses=",
                "-c", "synchronous_commit=off"));
        Process nativePg = new ProcessBuilder(nativeCmd)
                .redirectErrorStream(true).redirectOutput(ws.log("pg-native.log").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        cleanup.add("native PostgreSQL", () -> stop(nativePg, nativeData));

        // inside a rocker, as the postgres uid/gid, its cluster under the overlaid /var
        // its socket dir is shared on purpose: outside its overlays the host is read-only in a rocker
        RockerRequest req = ws.request(rockerData).uid(uid).gid(gid)
                .sharedDirs(java.util.List.of(rocker.api.SharedDir.readWrite(rockerSock.toString()))).build();
        RockerApp app = RockerApp.builder().command("/bin/sh", ws.exec + "/pg.sh")
                .env("PGBIN", bin.toString()).env("PGDATA", "/var/lib/postgresql/rocker-bench")
                .env("PGSOCK", rockerSock.toString()).env("PGPORT", Integer.toString(ROCKER_PORT))
                .stdin(Stdio.discard()).stdout(Stdio.log()).stderr(Stdio.log()).build();
        RockerResult r = engine.client.enterRocker(req, app);
        if (!r.isSuccess()) throw new BenchException("PostgreSQL rocker not built: " + r.error().seedName() + ": " + r.message());
        engine.tracker.made(r.guardName(), r.guardPid());
        String rockerName = r.guardName();
        cleanup.add("PostgreSQL rocker", () -> engine.tracker.destroyAll());

        awaitReady(nativeSock, NATIVE_PORT, nativePg::isAlive, ws.log("pg-native.log"));
        awaitReady(rockerSock, ROCKER_PORT, () -> Kernel.comm(r.guardPid()).isPresent(), rockerData.resolve("log/stderr.log"));

        pgbench("init-native", nativeSock, NATIVE_PORT, "-i", "-q", "-s", Integer.toString(scale));
        pgbench("init-rocker", rockerSock, ROCKER_PORT, "-i", "-q", "-s", Integer.toString(scale));
        List<Double> nat = new ArrayList<>();
        List<Double> roc = new ArrayList<>();
        String[] rw = {"-c", Integer.toString(clients), "-j", Integer.toString(threads), "-T", Integer.toString(seconds)};
        // each run starts from the same state: both clusters checkpointed and the page cache's dirty pages written,
        // so that no run pays for the writeback of the one before it (the first of a round's two runs was faster:
        // with 3 rounds native went first twice in read-write and the rocker twice in select-only); rounds is
        // even, so each side goes first as often
        for (int round = 0; round < rounds; round++) {
            boolean nativeFirst = round % 2 == 0;
            for (int k = 0; k < 2; k++) {
                settle(nativeSock, rockerSock);
                if ((k == 0) == nativeFirst) nat.add(pgbench("rw-native-" + round, nativeSock, NATIVE_PORT, rw));
                else roc.add(pgbench("rw-rocker-" + round, rockerSock, ROCKER_PORT, rw));
            }
        }
        String[] ro = {"-S", "-c", Integer.toString(clients), "-j", Integer.toString(threads), "-T", Integer.toString(roSeconds)};
        List<Double> roNat = new ArrayList<>();
        List<Double> roRoc = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            boolean nativeFirst = round % 2 == 1;
            for (int k = 0; k < 2; k++) {
                settle(nativeSock, rockerSock);
                if ((k == 0) == nativeFirst) roNat.add(pgbench("ro-native-" + round, nativeSock, NATIVE_PORT, ro));
                else roRoc.add(pgbench("ro-rocker-" + round, rockerSock, ROCKER_PORT, ro));
            }
        }
        double roNative = mean(roNat);
        double roRocker = mean(roRoc);
        figures.put("pg_ro_tps_native_rounds", roNat);
        figures.put("pg_ro_tps_rocker_rounds", roRoc);

        if (!Files.isDirectory(rockerData.resolve("upper/var/lib/postgresql/rocker-bench/base"))) {
            throw new BenchException("the rocker's cluster is not in its data dir's upper/var: the overlay was not used");
        }
        figures.put("pg_tps_native", mean(nat));
        figures.put("pg_tps_rocker", mean(roc));
        figures.put("pg_tps_native_rounds", nat);
        figures.put("pg_tps_rocker_rounds", roc);
        figures.put("pg_tps_ratio", mean(roc) / mean(nat));
        figures.put("pg_ro_tps_native", roNative);
        figures.put("pg_ro_tps_rocker", roRocker);
        figures.put("pg_ro_tps_ratio", roRocker / roNative);

        engine.destroy(rockerName);
        cleanup.runNow("native PostgreSQL");
    }

    private Path ownedDir(Path p, int mode) throws IOException {
        Files.createDirectories(p);
        Files.setAttribute(p, "unix:uid", uid);
        Files.setAttribute(p, "unix:gid", gid);
        Files.setAttribute(p, "unix:mode", mode);
        return p;
    }

    private List<String> asPostgres(String... cmd) {
        List<String> out = new ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups", "--"));
        out.addAll(List.of(cmd));
        return out;
    }

    private void awaitReady(Path sock, int port, java.util.function.BooleanSupplier alive, Path log) throws Exception {
        Path s = sock.resolve(".s.PGSQL." + port);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < end) {
            if (!alive.getAsBoolean()) throw new BenchException("PostgreSQL on " + s + " died: " + tail(log));
            if (Files.exists(s)) {
                Proc.Result r = Proc.run(List.of(bin.resolve("pg_isready").toString(), "-q", "-h", sock.toString(),
                        "-p", Integer.toString(port)), ws.log("pg-isready.log"), 20, TimeUnit.SECONDS);
                if (r.exit == 0) return;
            }
            Thread.sleep(100);
        }
        throw new BenchException("PostgreSQL on " + s + " not ready in 120 s: " + tail(log));
    }

    private int settles;

    /** CHECKPOINT in both clusters, then sync(1): no dirty data of an earlier run left to write. */
    private void settle(Path nativeSock, Path rockerSock) throws Exception {
        int n = settles++;
        for (Object[] c : new Object[][] {{nativeSock, NATIVE_PORT}, {rockerSock, ROCKER_PORT}}) {
            Proc.Result r = Proc.run(List.of(bin.resolve("psql").toString(), "-h", c[0].toString(), "-p", c[1].toString(), "-U", "postgres",
                    "-X", "-q", "-c", "CHECKPOINT", "postgres"), ws.log("pg-checkpoint-" + n + "-" + c[1] + ".log"), 5, TimeUnit.MINUTES);
            if (r.exit != 0) throw new BenchException("CHECKPOINT failed: " + r.output());
        }
        Proc.Result r = Proc.run(List.of("sync"), ws.log("pg-sync-" + n + ".log"), 5, TimeUnit.MINUTES);
        if (r.exit != 0) throw new BenchException("sync failed: " + r.output());
    }

    private double pgbench(String name, Path sock, int port, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(bin.resolve("pgbench").toString(), "-h", sock.toString(),
                "-p", Integer.toString(port), "-U", "postgres"));
        cmd.addAll(List.of(args));
        cmd.add("postgres");
        Proc.Result r = Proc.run(cmd, ws.log("pgbench-" + name + ".log"), 30, TimeUnit.MINUTES);
        if (r.exit != 0) throw new BenchException("pgbench " + name + " failed: " + r.output());
        Matcher m = TPS.matcher(Files.readString(r.log));
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    /** SIGINT to the postmaster (its pid is the first line of postmaster.pid): PostgreSQL's fast shutdown. */
    private static void stop(Process pg, Path dataDir) throws InterruptedException {
        if (!pg.isAlive()) return;
        try {
            String pid = Files.readAllLines(dataDir.resolve("postmaster.pid")).get(0).trim();
            new ProcessBuilder("kill", "-INT", pid).start().waitFor(10, TimeUnit.SECONDS);
        } catch (IOException | RuntimeException e) {
            pg.destroy();
        }
        if (!pg.waitFor(30, TimeUnit.SECONDS)) Proc.kill(pg);
    }

    private static String tail(Path log) {
        try {
            String s = Files.exists(log) ? Files.readString(log) : "(no log)";
            return s.length() > 2000 ? s.substring(s.length() - 2000) : s;
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static double mean(List<Double> xs) {
        double s = 0;
        for (double x : xs) s += x;
        return xs.isEmpty() ? Double.NaN : s / xs.size();
    }
}
