package rocker.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import rocker.api.RockerApp;
import rocker.api.RockerClient;
import rocker.api.RockerResult;

/**
 * Start latency through a {@link RockerClient} (the in-process engine or the socket's remote client):
 * from the enterRocker call to the app's exit reported back (the app writes its marker and exits), then
 * the rocker is destroyed, timed on its own.
 */
final class ClientBench {
    static final Duration APP_TIMEOUT = Duration.ofSeconds(30);

    /** One start: total start (request to app exited), enterRocker alone, destroy (-1 when kept). */
    record Sample(long startNs, long enterNs, long destroyNs, String name, int guardPid) {
    }

    /** Starts and the wall time they took together (0 when one after the other). */
    record Series(List<Sample> samples, long wallNs) {
        List<Long> starts() {
            List<Long> out = new ArrayList<>();
            for (Sample s : samples) out.add(s.startNs());
            return out;
        }

        List<Long> enters() {
            List<Long> out = new ArrayList<>();
            for (Sample s : samples) out.add(s.enterNs());
            return out;
        }

        List<Long> destroys() {
            List<Long> out = new ArrayList<>();
            for (Sample s : samples) if (s.destroyNs() >= 0) out.add(s.destroyNs());
            return out;
        }

        List<Long> cycles() {
            List<Long> out = new ArrayList<>();
            for (Sample s : samples) if (s.destroyNs() >= 0) out.add(s.startNs() + s.destroyNs());
            return out;
        }
    }

    final String label;
    final RockerClient client;
    final Workspace ws;
    final Tracker tracker;

    ClientBench(String label, RockerClient client, Workspace ws, Cleanup cleanup) {
        this.label = label;
        this.client = client;
        this.ws = ws;
        this.tracker = new Tracker(label, client);
        cleanup.add("rockers of " + label, tracker::destroyAll);
    }

    /** One start in data dir {@code data}; destroyed afterwards unless {@code keep}. */
    Sample start(Path data, boolean keep) {
        return start(data, keep, ws.app());
    }

    /** One start of {@code app} in data dir {@code data}; destroyed afterwards unless {@code keep}. */
    Sample start(Path data, boolean keep, RockerApp app) {
        long t0 = System.nanoTime();
        RockerResult r = client.enterRocker(ws.request(data).build(), app);
        long t1 = System.nanoTime();
        if (!r.isSuccess()) {
            throw new BenchException(label + ": enterRocker failed: " + r.error().seedName() + ": " + r.message());
        }
        tracker.made(r.guardName(), r.guardPid());
        OptionalInt status = client.waitForApp(r.guardName(), APP_TIMEOUT);
        long t2 = System.nanoTime();
        if (status.isEmpty() || status.getAsInt() != 0) {
            throw new BenchException(label + ": the app of " + r.guardName() + " "
                    + (status.isEmpty() ? "did not end within " + APP_TIMEOUT : "exited with " + status.getAsInt()));
        }
        long d = keep ? -1 : destroy(r.guardName());
        return new Sample(t2 - t0, t1 - t0, d, r.guardName(), r.guardPid());
    }

    long destroy(String name) {
        long t0 = System.nanoTime();
        RockerResult d = client.destroy(name);
        long t1 = System.nanoTime();
        if (!d.isSuccess()) {
            throw new BenchException(label + ": destroy " + name + " failed: " + d.error().seedName() + ": " + d.message());
        }
        tracker.destroyed(name);
        return t1 - t0;
    }

    /** {@code n} starts one after the other; the first one's marker is checked. */
    Series sequential(Path dataRoot, int n) {
        return sequential(dataRoot, n, 0);
    }

    /**
     * {@code n} starts one after the other, with a pause of {@code pauseMs} after each one's destroy (the
     * spaced series: what the engine does between starts, such as making the next spare, is done by then);
     * the first one's marker is checked.
     */
    Series sequential(Path dataRoot, int n, long pauseMs) {
        List<Sample> out = new ArrayList<>();
        long w0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            Path data = dataRoot.resolve(Integer.toString(i));
            out.add(start(data, false));
            if (i == 0 && !Workspace.markerWritten(data)) {
                throw new BenchException(label + ": the app ran but its marker is not in " + data.resolve("upper" + Workspace.MARKER));
            }
            if (pauseMs > 0 && i + 1 < n) pause(pauseMs);
        }
        return new Series(out, System.nanoTime() - w0);
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("interrupted");
        }
    }

    /** {@code n} starts by {@code clients} threads at once, each start in its own data dir. */
    Series concurrent(Path dataRoot, int n, int clients) throws Exception {
        List<Sample> out = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(clients, r -> {
            Thread t = new Thread(r, "bench-client");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> fs = new ArrayList<>();
            long w0 = System.nanoTime();
            for (int c = 0; c < clients; c++) {
                fs.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
                        out.add(start(dataRoot.resolve(Integer.toString(i)), false));
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                try {
                    f.get(10, TimeUnit.MINUTES);
                } catch (java.util.concurrent.ExecutionException e) {
                    throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
                }
            }
            return new Series(new ArrayList<>(out), System.nanoTime() - w0);
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(30, TimeUnit.SECONDS);
        }
    }
}
