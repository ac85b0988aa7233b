package rocker.impl.linux;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import rocker.impl.linux.sys.Posix;
import rocker.impl.linux.sys.SysException;

/**
 * One thread that listens to the control sockets of the guards this engine made: it learns the
 * app's exit status ("W"), and when a guard is gone (end of stream) it reaps the guard's keeper,
 * our child, and has the rocker's cgroups removed. Closing it closes the sockets; the guards carry on without us.
 */
final class ExitWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ExitWatcher.class);

    /** A guard being watched. */
    static final class Watched {
        final String name;
        final int control;
        final int keeperPid;
        /** For a rocker an earlier engine made (watched through its status socket): its guard, else 0. */
        final int adoptedGuardPid;
        final CompletableFuture<Integer> appExit = new CompletableFuture<>();
        final CompletableFuture<Void> gone = new CompletableFuture<>();
        /** Registered with the watcher's epoll: only then is {@link #gone} completed when the guard ends. */
        volatile boolean armed;
        /** The subscribers' stages ({@link #subscribe}): told when the app ends, dropped when cancelled. */
        private final java.util.Set<CompletableFuture<Integer>> waiters = ConcurrentHashMap.newKeySet();

        Watched(String name, int control, int keeperPid, int adoptedGuardPid) {
            this.name = name;
            this.control = control;
            this.keeperPid = keeperPid;
            this.adoptedGuardPid = adoptedGuardPid;
            appExit.whenComplete((code, e) -> waiters.forEach(w -> tell(w, code, e)));
        }

        /**
         * A stage told the app's end (at once if it has ended); cancelling it unsubscribes, so nothing of
         * a subscriber that went away (a closed watch connection) is kept until the app ends.
         */
        CompletableFuture<Integer> subscribe() {
            CompletableFuture<Integer> w = new CompletableFuture<>();
            waiters.add(w);
            w.whenComplete((code, e) -> waiters.remove(w));
            if (appExit.isDone()) appExit.whenComplete((code, e) -> tell(w, code, e));
            return w;
        }

        /** Subscribers now (for tests). */
        int waiting() {
            return waiters.size();
        }

        private static void tell(CompletableFuture<Integer> w, Integer code, Throwable e) {
            if (e == null) {
                w.complete(code);
            } else {
                w.completeExceptionally(e);
            }
        }

        boolean adopted() {
            return adoptedGuardPid > 0;
        }
    }

    private static final int REMEMBERED = 1024;
    private final Map<String, Watched> byName = new ConcurrentHashMap<>();
    /** Rockers that ended recently, so that a late waitForApp still gets the status. */
    private final Map<String, Watched> ended = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<String, Watched>() {
                private static final long serialVersionUID = 1L;

                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Watched> eldest) {
                    return size() > REMEMBERED;
                }
            });
    /** The watched guards by descriptor: registered by {@link #add} on the caller's thread, removed by this watcher's. */
    private final Map<Integer, Watched> byFd = new ConcurrentHashMap<>();
    /** Guards {@link #stopped}: a guard is registered, or forgotten when the watcher ends, never both half-way. */
    private final Object registration = new Object();
    private boolean stopped;
    private final int[] wake = Posix.pipe();
    /**
     * The watched descriptors, registered once each: a wake-up costs the same with 500 rockers as with one
     * (poll(2) over every descriptor made each app's end and each new rocker cost ~0.5 ms at 500, on the
     * CPU a start needs).
     */
    private final rocker.impl.linux.sys.Epoll epoll = new rocker.impl.linux.sys.Epoll();
    private final Thread thread;
    private volatile boolean closed;
    /** Told the name of each rocker that is gone (its cgroups are removed). */
    private final java.util.function.Consumer<String> onGone;
    /** Told each app's end, on this watcher's thread. */
    private final Exits onExit;
    /** Runs every {@link #tickMillis} on this watcher's thread, or null. */
    private final Runnable onTick;
    private final long tickMillis;

    /** What an app's end is told to. */
    interface Exits {
        /** The app of rocker {@code name} ended: its exit code (or 128 + signal) and its signal (0: exited). */
        void exited(String name, int code, int signal);
    }

    ExitWatcher() {
        this(name -> { });
    }

    ExitWatcher(java.util.function.Consumer<String> onGone) {
        this(onGone, (name, code, signal) -> { });
    }

    ExitWatcher(java.util.function.Consumer<String> onGone, Exits onExit) {
        this(onGone, onExit, null, 0);
    }

    /**
     * Also runs {@code onTick} (when not null) on this watcher's thread every {@code tickMillis}, however
     * busy it is: a serving engine looks again at what it does not see end (an image's holder whose last
     * rocker another engine killed).
     */
    ExitWatcher(java.util.function.Consumer<String> onGone, Exits onExit, Runnable onTick, long tickMillis) {
        if (onTick != null && (tickMillis < 1 || tickMillis > Integer.MAX_VALUE)) {
            throw new IllegalArgumentException("tick " + tickMillis + " ms: from 1 ms to " + Integer.MAX_VALUE + " ms");
        }
        this.onGone = onGone;
        this.onExit = onExit;
        this.onTick = onTick;
        this.tickMillis = tickMillis;
        thread = new Thread(this::loop, "rocker-exit-watcher");
        thread.setDaemon(true);
        thread.start();
    }

    /** Watches a guard this engine started, through its control socket (its keeper is our child). */
    Watched watch(String name, int control, int keeperPid) {
        return add(new Watched(name, control, keeperPid, 0));
    }

    /**
     * A guard this engine started, made known before its rocker is announced and before it is watched
     * ({@link #arm}): an {@code onAppExit} in between (a listener of CREATED) gets the app's end, not "cannot
     * be observed". Its control socket stays the caller's until {@link #arm}; {@link #unexpect} takes it back.
     * Until it is armed, nothing waits for its {@link Watched#gone} (a destroy waits for the keeper itself).
     */
    Watched expect(String name, int control, int keeperPid) {
        Watched w = new Watched(name, control, keeperPid, 0);
        byName.put(name, w);
        return w;
    }

    /** Watches an {@link #expect expected} guard: from now on its control socket is the watcher's. */
    Watched arm(Watched expected) {
        return add(expected);
    }

    /** An {@link #expect expected} guard whose rocker was not built: not watched, and whoever waits for its app is told. */
    void unexpect(Watched expected) {
        byName.remove(expected.name, expected);
        expected.appExit.completeExceptionally(new IllegalStateException("rocker " + expected.name + " was not built"));
        expected.gone.complete(null); // its guard is the build's to end (abandon)
    }

    /**
     * Watches a guard an earlier engine started, through a connection to its status socket: the guard says
     * "W" when the app ends (at once if it has) and the connection ends with the guard.
     */
    Watched adopt(RockerRecord r, int connection) {
        return add(new Watched(r.name, connection, r.keeperPid, r.guardPid));
    }

    /**
     * Registers the guard's descriptor with the epoll instance on the caller's thread: the watcher's wait
     * reports it from now on, and no wake-up of the watcher's thread is on a start's path.
     */
    private Watched add(Watched w) {
        byName.put(w.name, w);
        synchronized (registration) {
            if (!stopped) {
                byFd.put(w.control, w);
                try {
                    epoll.add(w.control);
                    w.armed = true;
                    return w;
                } catch (SysException e) {
                    byFd.remove(w.control, w);
                    // this rocker is not watched (as one whose guard let this engine go; its keeper is reaped
                    // when its record is pruned or it is destroyed); the others still are
                    LOG.error("rocker {}: its guard cannot be watched: {}", w.name, e.getMessage());
                    if (e.errno() == rocker.impl.linux.sys.Errno.EBADF) {
                        // not ours to close: the number may name another file by now
                        byName.remove(w.name);
                        w.appExit.completeExceptionally(new IllegalStateException("the engine cannot watch rocker " + w.name));
                        return w;
                    }
                }
            }
        }
        forget(w);
        return w;
    }

    Optional<Watched> find(String name) {
        Watched w = byName.get(name);
        return Optional.ofNullable(w != null ? w : ended.get(name));
    }

    private void poke() {
        Posix.writeByte(wake[1]);
    }

    private void loop() {
        int[] ready = new int[rocker.impl.linux.sys.Epoll.MAX_EVENTS];
        try {
            epoll.add(wake[0]);
            long nextTick = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(tickMillis);
            while (!closed) {
                int timeout = -1;
                if (onTick != null) {
                    long left = nextTick - System.nanoTime();
                    if (left <= 0) {
                        tick();
                        nextTick = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(tickMillis);
                        left = TimeUnit.MILLISECONDS.toNanos(tickMillis);
                    }
                    timeout = (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(left));
                }
                int n = epoll.await(ready, timeout);
                for (int k = 0; k < n; k++) {
                    if (ready[k] == wake[0]) {
                        Posix.read(wake[0], 4096);
                        continue;
                    }
                    Watched w = byFd.get(ready[k]);
                    if (w != null) handle(w); // a guard that is gone left byFd before its descriptor was closed
                }
            }
        } catch (SysException e) {
            LOG.error("exit watcher cannot wait: {}", e.getMessage());
        } finally {
            synchronized (registration) {
                stopped = true; // from now on a guard added is forgotten at once
                new java.util.ArrayList<>(byFd.values()).forEach(this::forget);
                if (closed) closeDescriptors(); // after close() gave up waiting for this thread
            }
        }
    }

    private void tick() {
        try {
            onTick.run();
        } catch (RuntimeException | Error e) {
            // not this thread's end: it watches every guard (an Error here is e.g. a thread that could not start)
            LOG.warn("exit watcher's periodic task failed: {}", e.toString());
        }
    }

    private final java.util.concurrent.atomic.AtomicBoolean descriptorsClosed = new java.util.concurrent.atomic.AtomicBoolean();

    /** The wake pipe and the epoll instance, once no thread uses them any more (once). */
    private void closeDescriptors() {
        if (!descriptorsClosed.compareAndSet(false, true)) return;
        Posix.close(wake[0]);
        Posix.close(wake[1]);
        epoll.close();
    }

    /** Reads what the guard says; false when the guard is gone. */
    private boolean handle(Watched w) {
        Posix.Datagram d;
        try {
            d = Posix.receive(w.control, 256);
        } catch (SysException e) {
            d = null;
        }
        if (d == null) {
            epoll.remove(w.control);
            byFd.remove(w.control, w); // before the close: nothing later closes this number again
            Posix.close(w.control);
            if (!w.adopted()) Keepers.reap(w.keeperPid); // an adopted one's keeper is not our child
            // the app ended with its rocker (SIGKILL, as every process of its pid namespace), unless it had before
            exited(w, 128 + Posix.SIGKILL, Posix.SIGKILL);
            try {
                onGone.accept(w.name);
            } catch (RuntimeException e) {
                LOG.warn("rocker {}: cleanup after its end failed: {}", w.name, e.toString());
            }
            ended.put(w.name, w);
            byName.remove(w.name);
            w.gone.complete(null);
            LOG.debug("rocker {} is gone", w.name);
            return false;
        }
        GuardMessage m = GuardMessage.of(d);
        if (m.kind.equals(GuardMessage.LET_GO)) {
            // the guard has as many engines watching as it takes: this one learns nothing more from it
            LOG.warn("rocker {}: its guard serves too many engines; its app's status is not observed here", w.name);
            forget(w);
            return false;
        }
        if (m.kind.equals(GuardMessage.WAITED)) {
            exited(w, m.exitCode(), m.signal());
        }
        return true;
    }

    /** The app's end, once: its future completes, then {@link Exits} is told. */
    private void exited(Watched w, int code, int signal) {
        if (!w.appExit.complete(code)) return;
        LOG.debug("app of rocker {} ended with status {}", w.name, code);
        try {
            onExit.exited(w.name, code, signal);
        } catch (RuntimeException e) {
            LOG.warn("rocker {}: telling its app's end failed: {}", w.name, e.toString());
        }
    }

    private void forget(Watched w) {
        epoll.remove(w.control);
        byFd.remove(w.control, w); // before the close: nothing later closes this number again
        Posix.close(w.control);
        byName.remove(w.name);
        w.appExit.completeExceptionally(new IllegalStateException("the engine stopped watching rocker " + w.name));
    }

    @Override
    public void close() {
        closed = true;
        poke();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            // still telling an end (a cgroup removal retries for seconds): its descriptors are never closed under
            // it (their numbers could name something else by the time it waits again); it closes them when it ends
            LOG.warn("the exit watcher did not end within 5 s; it ends on its own");
            return;
        }
        closeDescriptors();
    }
}
