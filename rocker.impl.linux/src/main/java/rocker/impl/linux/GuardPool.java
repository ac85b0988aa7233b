package rocker.impl.linux;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import rocker.api.RockerRequest;
import rocker.impl.linux.sys.Posix;

/**
 * Spare guards, started ahead of need so that a start does not wait for a keeper and guard to come up,
 * one pool per mode (the guard's flags: host or private network, ending with the app or not). A spare
 * is named {@value #SPARE_NAME} until a request claims it; an unclaimed spare ends by itself when its
 * control socket closes (engine stopped, JVM gone), so spares never outlive the engine.
 *
 * <p>How many: the seed's default mode keeps at least {@code size} (the engine's {@code spareGuards});
 * every mode keeps as many as its busiest {@link #BURST_NANOS} of the last {@link #WINDOW_NANOS} asked
 * for (so 8 clients that start at once find 8 spares from their second round on, while one request a
 * second keeps the minimum), at most {@link #MAX_PER_MODE}. A mode nobody asked for lately keeps none
 * beyond that minimum: the surplus is ended by a trim {@link #TRIM_DELAY_SECONDS} later. {@code size} 0
 * turns spares off altogether.
 */
final class GuardPool implements AutoCloseable {
    static final String SPARE_NAME = "rocker-spare";
    private static final Logger LOG = LoggerFactory.getLogger(GuardPool.class);
    /** The seed's mode: host network, the rocker stays after its app. */
    static final String DEFAULT_FLAGS = "-";
    /** How far back requests count for a mode's size. */
    static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(30);
    /** Requests within this span count as at once. */
    static final long BURST_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** The most spares of one mode. */
    static final int MAX_PER_MODE = 16;
    static final long TRIM_DELAY_SECONDS = 35;

    private final int size;
    /** Spawns a guard in the given mode (flags), its record written first. */
    private final java.util.function.Function<String, GuardProcess> starter;
    private final java.util.function.Consumer<GuardProcess> prepare;
    private final java.util.function.Consumer<GuardProcess> release;
    /** Whether a spare still fits the host (its namespace copied the host's mounts as they are now). */
    private final java.util.function.Predicate<GuardProcess> current;
    private final LongSupplier clock;
    private final Map<String, Deque<GuardProcess>> spares = new LinkedHashMap<>();
    /** How often each mode was asked for lately: {burst index, requests}, oldest first. */
    private final Map<String, Deque<long[]>> asked = new LinkedHashMap<>();
    private ScheduledExecutorService refiller;
    /** The next trim, once one is due. */
    private java.util.concurrent.ScheduledFuture<?> trimming;
    private boolean closed;

    /**
     * Guards from {@code starter}; {@code prepare} runs on each new spare in the background (the engine
     * gives it its cgroup ahead of need) and {@code release} on each spare that is discarded unclaimed,
     * once it is gone.
     */
    GuardPool(int size, java.util.function.Function<String, GuardProcess> starter,
            java.util.function.Consumer<GuardProcess> prepare, java.util.function.Consumer<GuardProcess> release,
            java.util.function.Predicate<GuardProcess> current) {
        this(size, starter, prepare, release, current, System::nanoTime);
    }

    /** {@code current}: whether a spare may still be taken (else it is discarded when a request finds it). */
    GuardPool(int size, java.util.function.Function<String, GuardProcess> starter,
            java.util.function.Consumer<GuardProcess> prepare, java.util.function.Consumer<GuardProcess> release,
            java.util.function.Predicate<GuardProcess> current, LongSupplier clock) {
        this.size = size;
        this.starter = starter;
        this.prepare = prepare;
        this.release = release;
        this.current = current;
        this.clock = clock;
        spares.put(DEFAULT_FLAGS, new ArrayDeque<>());
    }

    /**
     * A guard for {@code request}: a live spare of its mode when there is one, else a new one. The pool is
     * refilled by {@link #refill()}, which the engine calls once the start is done, so that spawning
     * spares does not compete with the start for the CPU.
     */
    GuardProcess take(RockerRequest request) {
        String flags = GuardProcess.flags(request);
        if (size > 0) {
            asked(flags);
            GuardProcess spare;
            List<GuardProcess> stale = new ArrayList<>();
            try {
                while ((spare = poll(flags)) != null) {
                    if (!current.test(spare)) {
                        stale.add(spare); // ended in the background: a request never waits for a discard it did not cause
                    } else if (stillThere(spare)) {
                        CLAIMED.incrementAndGet();
                        return spare;
                    } else {
                        discard(spare);
                    }
                }
            } finally {
                discardLater(stale);
            }
        }
        return starter.apply(flags);
    }

    private synchronized void asked(String flags) {
        Deque<long[]> bursts = asked.computeIfAbsent(flags, f -> new ArrayDeque<>());
        long now = Math.floorDiv(clock.getAsLong(), BURST_NANOS);
        if (bursts.isEmpty() || bursts.peekLast()[0] != now) bursts.addLast(new long[] {now, 0});
        bursts.peekLast()[1]++;
        forgetOld(bursts);
        spares.computeIfAbsent(flags, f -> new ArrayDeque<>());
    }

    private void forgetOld(Deque<long[]> bursts) {
        long first = Math.floorDiv(clock.getAsLong() - WINDOW_NANOS, BURST_NANOS);
        while (!bursts.isEmpty() && bursts.peekFirst()[0] < first) bursts.pollFirst();
    }

    /** How many spares {@code flags} should have now. */
    synchronized int target(String flags) {
        if (closed || size == 0) return 0;
        Deque<long[]> bursts = asked.get(flags);
        long demand = 0;
        if (bursts != null) {
            forgetOld(bursts);
            for (long[] b : bursts) demand = Math.max(demand, b[1]);
        }
        int floor = flags.equals(DEFAULT_FLAGS) ? size : 0;
        return (int) Math.min(MAX_PER_MODE, Math.max(floor, demand));
    }

    /** Spares of {@code flags} now (for tests). */
    synchronized int count(String flags) {
        Deque<GuardProcess> d = spares.get(flags);
        return d == null ? 0 : d.size();
    }

    private synchronized GuardProcess poll(String flags) {
        Deque<GuardProcess> d = spares.get(flags);
        return d == null ? null : d.pollFirst();
    }

    /** Spares taken by requests (for tests). */
    static final java.util.concurrent.atomic.AtomicInteger CLAIMED = new java.util.concurrent.atomic.AtomicInteger();

    private static boolean stillThere(GuardProcess g) {
        return ProcStat.live(g.guardPid).map(s -> s.is(SPARE_NAME, g.guardStart)).orElse(false);
    }

    /** Starts spares in the background until every mode has its target; the surplus goes later. */
    synchronized void refill() {
        if (closed || size == 0) return;
        if (refiller == null) {
            ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, "rocker-spares");
                t.setDaemon(true);
                return t;
            });
            e.setRemoveOnCancelPolicy(true);
            e.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
            refiller = e;
        }
        refiller.execute(this::fill);
        scheduleTrim();
    }

    private synchronized void scheduleTrim() {
        if (closed || refiller == null || (trimming != null && !trimming.isDone())) return;
        trimming = refiller.schedule(this::trim, TRIM_DELAY_SECONDS, TimeUnit.SECONDS);
    }

    private void fill() {
        try {
            for (String flags : modes()) {
                while (count(flags) < target(flags)) {
                    GuardProcess g = starter.apply(flags);
                    try {
                        prepare.accept(g);
                    } catch (RuntimeException | Error e) {
                        discard(g);
                        throw e;
                    }
                    if (!current.test(g)) {
                        // the host's mounts changed while it was made: no more spares this round (a host whose
                        // mounts keep changing gets fresh guards instead of spares made and thrown away)
                        discard(g);
                        LOG.debug("the host's mounts changed while a spare was made: no spares until the next start");
                        return;
                    }
                    if (!add(flags, g)) {
                        discard(g);
                        break;
                    }
                }
            }
        } catch (RuntimeException | Error e) {
            LOG.debug("no spare guard: {}", e.toString());
        }
    }

    /** Ends {@code stale} spares on the refiller's thread (at once when there is none). */
    private void discardLater(List<GuardProcess> stale) {
        if (stale.isEmpty()) return;
        synchronized (this) {
            if (refiller != null && !closed) {
                try {
                    refiller.execute(() -> stale.forEach(this::discard));
                    return;
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    // shut down meanwhile: below
                }
            }
        }
        stale.forEach(this::discard);
    }

    /** Ends the spares no mode needs any more (the oldest first); looks again later while demand keeps more than the minimum. */
    private void trim() {
        List<GuardProcess> surplus = new ArrayList<>();
        boolean again = false;
        synchronized (this) {
            for (Map.Entry<String, Deque<GuardProcess>> e : spares.entrySet()) {
                int keep = target(e.getKey());
                while (e.getValue().size() > keep) surplus.add(e.getValue().pollFirst());
                again |= e.getValue().size() > (e.getKey().equals(DEFAULT_FLAGS) ? size : 0);
            }
            trimming = null;
        }
        surplus.forEach(this::discard);
        if (again) scheduleTrim();
    }

    private synchronized List<String> modes() {
        return new ArrayList<>(spares.keySet());
    }

    private synchronized boolean add(String flags, GuardProcess g) {
        if (closed || count(flags) >= target(flags)) return false;
        spares.get(flags).addLast(g);
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
        ScheduledExecutorService r;
        synchronized (this) {
            closed = true;
            r = refiller;
        }
        if (r != null) {
            r.shutdown(); // a fill under way ends (closed: no target); a trim not due yet is dropped
            try {
                r.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        List<GuardProcess> all = new ArrayList<>();
        synchronized (this) {
            spares.values().forEach(all::addAll);
            spares.values().forEach(Deque::clear);
        }
        all.forEach(this::discard);
    }
}
