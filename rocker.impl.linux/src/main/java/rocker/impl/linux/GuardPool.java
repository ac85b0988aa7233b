package rocker.impl.linux;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import rocker.api.RockerRequest;
import rocker.impl.linux.sys.Posix;

/**
 * Spare guards, started ahead of need in the seed's default mode (host network, not ending with the
 * app), so that a start does not wait for a keeper and guard to come up. A spare is named
 * {@value #SPARE_NAME} until a request claims it; an unclaimed spare ends by itself when its control
 * socket closes (engine stopped, JVM gone), so spares never outlive the engine.
 */
final class GuardPool implements AutoCloseable {
    static final String SPARE_NAME = "rocker-spare";
    private static final Logger LOG = LoggerFactory.getLogger(GuardPool.class);
    private static final String POOLED_FLAGS = "-";

    private final int size;
    /** Spawns a guard in the given mode (flags), its record written first. */
    private final java.util.function.Function<String, GuardProcess> starter;
    private final java.util.function.Consumer<GuardProcess> prepare;
    private final java.util.function.Consumer<GuardProcess> release;
    private final Deque<GuardProcess> spares = new ArrayDeque<>();
    private ExecutorService refiller;
    private boolean closed;

    /**
     * Guards from {@code starter}; {@code prepare} runs on each new spare in the background (the engine
     * gives it its cgroup ahead of need) and {@code release} on each spare that is discarded unclaimed,
     * once it is gone.
     */
    GuardPool(int size, java.util.function.Function<String, GuardProcess> starter,
            java.util.function.Consumer<GuardProcess> prepare, java.util.function.Consumer<GuardProcess> release) {
        this.size = size;
        this.starter = starter;
        this.prepare = prepare;
        this.release = release;
    }

    /**
     * A guard for {@code request}: a live spare when there is one for its mode, else a new one. The
     * pool is refilled by {@link #refill()}, which the engine calls once the start is done, so that
     * spawning spares does not compete with the start for the CPU.
     */
    GuardProcess take(RockerRequest request) {
        String flags = GuardProcess.flags(request);
        if (size > 0 && flags.equals(POOLED_FLAGS)) {
            GuardProcess spare;
            while ((spare = poll()) != null) {
                if (stillThere(spare)) {
                    return spare;
                }
                discard(spare);
            }
        }
        return starter.apply(flags);
    }

    private synchronized GuardProcess poll() {
        return spares.pollFirst();
    }

    private static boolean stillThere(GuardProcess g) {
        return ProcStat.live(g.guardPid).map(s -> s.is(SPARE_NAME, g.guardStart)).orElse(false);
    }

    /** Starts spares in the background until there are enough. */
    synchronized void refill() {
        if (closed || size == 0) return;
        if (refiller == null) {
            refiller = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "rocker-spares");
                t.setDaemon(true);
                return t;
            });
        }
        refiller.execute(this::fill);
    }

    private void fill() {
        try {
            while (needed()) {
                GuardProcess g = starter.apply(POOLED_FLAGS);
                try {
                    prepare.accept(g);
                } catch (RuntimeException e) {
                    discard(g);
                    throw e;
                }
                if (!add(g)) {
                    discard(g);
                    return;
                }
            }
        } catch (RuntimeException e) {
            LOG.debug("no spare guard: {}", e.getMessage());
        }
    }

    private synchronized boolean needed() {
        return !closed && spares.size() < size;
    }

    private synchronized boolean add(GuardProcess g) {
        if (closed || spares.size() >= size) return false;
        spares.addLast(g);
        return true;
    }

    /** Ends a spare: closing its socket makes it end, and its keeper (our child) with it. */
    private void discard(GuardProcess g) {
        Posix.close(g.control);
        Keepers.reap(g.keeperPid);
        try {
            release.accept(g);
        } catch (RuntimeException e) {
            LOG.warn("a discarded spare's resources stay: {}", e.toString());
        }
    }

    @Override
    public void close() {
        ExecutorService r;
        synchronized (this) {
            closed = true;
            r = refiller;
        }
        if (r != null) {
            r.shutdown();
            try {
                r.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        GuardProcess g;
        while ((g = poll()) != null) {
            discard(g);
        }
    }
}
