package rocker.impl.linux;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.api.RockerRequest;
import rocker.impl.linux.sys.MountApi;
import rocker.impl.linux.sys.Posix;
import rocker.impl.linux.sys.SysException;

/**
 * One shared mount per distinct image (docs/engine.md, "Shared image mounts"): a holder process (a
 * guard with flag {@code h}) keeps the image's one loop device and squashfs mount in a mount
 * namespace of its own, never the host's, and each rocker gets a detached clone of that mount
 * ({@code open_tree(OPEN_TREE_CLONE)} + {@code move_mount}), its own reference to the one superblock and
 * page cache. Holders are found by the opened image's {@link ImageKey}; their users are the live
 * records naming that key (any engine's), and one unused for the grace period is killed. Holders have
 * records of their own ({@link RockerRecord.State#HOLDER}), so they survive the engine and a new one
 * knows them.
 */
final class ImageHolders implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ImageHolders.class);
    /** The holder's process name (its guard's comm). */
    static final String HOLDER_NAME = "rocker-image";
    /** The guard's mode: a holder. */
    static final String FLAGS = "-h";

    /** The system property {@code rocker.sharedImages=false} turns sharing off (the bench's "before"). */
    private static volatile boolean share = !"false".equals(System.getProperty("rocker.sharedImages"));

    /** Whether rockers share image mounts (else each gets a loop device of its own: the fallback). Tests turn it off. */
    static void share(boolean on) {
        share = on;
    }

    /** Tests only: runs on a check's thread between its listing of the registry and its count of users. */
    static volatile java.util.function.Consumer<List<RockerRecord>> afterListing;

    /** Whether this kernel can clone a mount (open_tree, Linux 5.2+); asked once. */
    private static final class Kernel {
        static final boolean CLONES = MountApi.available();
    }

    private final Registry registry;
    private final long engineId;
    private final Supplier<String> names;
    /** Spawns a holder (keeper and guard) under a record name; its record is written first. */
    private final Function<String, GuardProcess> spawner;
    /** Where the image is mounted inside a holder's own mount namespace: the state dir's path. */
    private final String mountPoint;
    private final int timeoutMillis;
    private volatile Duration grace = Duration.ofSeconds(60);

    /** The holders this engine found or made, by image key. */
    private final Map<String, RockerRecord> byKey = new HashMap<>();
    /** Unused holders, since when (System.nanoTime), by record name. */
    private final Map<String, Long> idleSince = new HashMap<>();
    /** Holders being killed now: not to be leased. */
    private final Set<String> releasing = new HashSet<>();
    /** Leases made so far (a sequence), and each holder's last one: a check that listed the registry before it keeps that holder. */
    private long leases;
    private final Map<String, Long> leasedAt = new HashMap<>();
    /** Whether a check asked for by {@link #changed} waits to run (a burst of changes needs one). */
    private boolean checkQueued;
    private ScheduledExecutorService timer;
    private boolean closed;
    /**
     * Whether one holder is kept spawned ahead of need (the engine keeps spare guards): a new image's first
     * rocker then waits for a loop device and a mount, not for processes to be spawned.
     */
    private final boolean keepSpare;
    /** The holder spawned ahead of need (its record a spare's, no image yet), or null; guarded by this. */
    private GuardProcess spare;
    private boolean spawningSpare;

    /** The engine's mount workers (a holder's mount is made by one in the holder's namespace). */
    private final MountInterpreter mounts;

    ImageHolders(Registry registry, long engineId, Supplier<String> names, Function<String, GuardProcess> spawner,
            String mountPoint, Duration timeout, boolean keepSpare, MountInterpreter mounts) {
        this.registry = registry;
        this.engineId = engineId;
        this.names = names;
        this.spawner = spawner;
        this.mountPoint = mountPoint;
        this.timeoutMillis = (int) timeout.toMillis();
        this.keepSpare = keepSpare;
        this.mounts = mounts;
    }

    /** How long a holder nobody uses is kept (so that a restart finds the image warm); zero: released at once. */
    void grace(Duration d) {
        grace = d.isNegative() ? Duration.ZERO : d;
        changed();
    }

    /**
     * A rocker's use of a holder's mount: the holder's mount namespace, pinned by a descriptor, until
     * {@link #attach} made the rocker's own mount of it.
     */
    static final class Lease implements AutoCloseable {
        final String holder;
        private final int ns;
        private final String mountPoint;

        Lease(String holder, int ns, String mountPoint) {
            this.holder = holder;
            this.ns = ns;
            this.mountPoint = mountPoint;
        }

        /**
         * On the mount thread, in the rocker's namespace: into the holder's namespace, a detached clone of
         * the image's mount (with its ro,nosuid,nodev), back, and the clone attached on the opened dir.
         */
        void attach(int dirFd) {
            int self = Posix.open("/proc/thread-self/ns/mnt", Posix.O_RDONLY, 0);
            int tree;
            try {
                Posix.setns(ns, Posix.CLONE_NEWNS, "(the mount namespace of image holder " + holder + ")");
                try {
                    tree = MountApi.cloneTree(mountPoint);
                } finally {
                    Posix.setns(self, Posix.CLONE_NEWNS, "(the rocker's mount namespace, back from image holder " + holder + ")");
                }
            } finally {
                Posix.close(self);
            }
            try {
                MountApi.attach(tree, dirFd, "the image's shared mount (holder " + holder + ") on the exec dir");
            } finally {
                Posix.close(tree);
            }
        }

        @Override
        public void close() {
            Posix.close(ns);
        }
    }

    /**
     * The shared mount of the image opened as {@code imageFd} (opened and checked with the client's
     * credentials: only a client that could open it gets here), made when none is live; null when
     * rockers do not share (turned off, a kernel without open_tree, the holder could not be made): the
     * rocker then gets its own loop device. The caller's record naming {@code key} is written already.
     */
    /** Whether rockers get a shared mount of their image (a lease), unless making one fails. */
    boolean shares() {
        return share && Kernel.CLONES;
    }

    /**
     * {@code appPath}: the app's executable in the image ({@link ImagePrefetch#pathInImage}), read into the
     * page cache in the background when this lease makes the image's holder; null: none.
     */
    Lease lease(ImageKey key, ImageSource image, String pkgPath, String appPath) {
        if (!shares()) return null;
        String k = key.toString();
        try {
            synchronized (this) {
                if (closed) return null;
                RockerRecord h = byKey.get(k);
                if (h == null || releasing.contains(h.name)) h = find(k);
                Lease l = h == null ? null : open(h);
                if (l == null) {
                    h = create(k, image, pkgPath, appPath);
                    l = open(h);
                    if (l == null) throw new RockerException(RockerError.SYS, "image holder " + h.name + " ended at once");
                }
                byKey.put(k, h);
                idleSince.remove(h.name);
                leasedAt.put(h.name, ++leases);
                spareLater();
                return l;
            }
        } catch (RuntimeException e) {
            LOG.warn("image {}: no shared mount ({}); the rocker gets a loop device of its own", pkgPath, e.getMessage());
            return null;
        }
    }

    /**
     * Whether this engine knows a holder of {@code key} that is still alive (a lease will most likely find it;
     * false also when another engine's holder would be found).
     */
    synchronized boolean holds(ImageKey key) {
        RockerRecord h = byKey.get(key.toString());
        return h != null && !releasing.contains(h.name) && h.isAlive();
    }

    /** A live holder of {@code key} in the registry (another engine's, or one an earlier engine left). */
    private RockerRecord find(String key) {
        for (RockerRecord r : registry.all()) {
            if (r.state == RockerRecord.State.HOLDER && key.equals(r.image) && r.guardPid > 0 && !releasing.contains(r.name)
                    && r.isAlive()) {
                return r;
            }
        }
        return null;
    }

    /** The holder's mount namespace, or null when it is gone: opened, then checked to be still that process's. */
    private Lease open(RockerRecord h) {
        int ns;
        try {
            ns = Posix.open("/proc/" + h.guardPid + "/ns/mnt", Posix.O_RDONLY, 0);
        } catch (SysException e) {
            return null;
        }
        // the descriptor pins the namespace it names; if the process still has its start time, that is the holder's
        if (!ProcStat.live(h.guardPid).map(s -> s.startTime == h.guardStart).orElse(false)) {
            Posix.close(ns);
            return null;
        }
        String at = h.request.execDir() != null ? h.request.execDir() : mountPoint;
        return new Lease(h.name, ns, at);
    }

    /**
     * A new holder of the image: record written ahead, spawned, recorded with its pids, then the image mounted
     * in it; then the app's executable ({@code appPath}, or none: null) read ahead in the background.
     */
    private RockerRecord create(String key, ImageSource image, String pkgPath, String appPath) {
        int imageFd = image.loopFd(); // the image, or its copy when someone besides root may change it (made by the caller)
        RockerRequest what = RockerRequest.builder().pkgPath(pkgPath).execDir(mountPoint).build();
        GuardProcess g = takeSpare();
        String name;
        if (g != null) {
            name = g.recordName; // its record (a spare's) becomes the holder's of this image before it mounts anything
        } else {
            name = names.get();
            record(RockerRecord.ahead(RockerRecord.State.HOLDER, engineId, name, what).withImage(key));
            try {
                g = spawner.apply(name);
            } catch (RuntimeException e) {
                registry.remove(name);
                throw e;
            }
        }
        int[] root = {-1}; // the mount's root, opened in the holder's namespace when the app's file is read ahead
        try {
            RockerRecord held = RockerRecord.ahead(RockerRecord.State.HOLDER, engineId, name, what).withImage(key)
                    .with(RockerRecord.State.HOLDER, g, 0, what);
            record(held);
            mounts.run(name, g.guardPid, List.of(MountOp.of("mount the image " + pkgPath + " in its holder", () -> {
                try (LoopDevice loop = LoopDevice.attach(imageFd, pkgPath)) {
                    Posix.mount(loop.path(), mountPoint, "squashfs", Posix.MS_RDONLY | Posix.MS_NOSUID | Posix.MS_NODEV, null);
                }
                if (appPath != null) root[0] = ImagePrefetch.openRoot(mountPoint); // -1: none (best effort)
            })));
            Posix.close(g.control); // a holder needs nobody: it keeps living
            if (root[0] >= 0) {
                ImagePrefetch.start(root[0], appPath, pkgPath); // in the background
                root[0] = -1; // the read-ahead closes it
            }
            LOG.info("image {} held by {} (guard pid {}): one mount for its rockers", pkgPath, name, g.guardPid);
            return held;
        } catch (RuntimeException e) {
            Posix.close(root[0]);
            ProcStat.killIfStill(g.guardPid, g.guardStart, "image holder " + name);
            Keepers.reap(g.keeperPid);
            Posix.close(g.control);
            registry.remove(name);
            throw e;
        }
    }

    /** The spare holder, if one is ready and still alive (else it is ended); null when there is none. */
    private GuardProcess takeSpare() {
        GuardProcess g;
        synchronized (this) {
            g = spare;
            spare = null;
        }
        if (g == null) return null;
        if (ProcStat.live(g.guardPid).map(s -> s.startTime == g.guardStart).orElse(false)) return g;
        discard(g);
        return null;
    }

    /** Spawns a spare holder in the background when the engine keeps spares and none is ready or coming. */
    private synchronized void spareLater() {
        if (!keepSpare || closed || spare != null || spawningSpare) return;
        spawningSpare = true;
        executor().execute(this::spawnSpare);
    }

    /** A holder spawned ahead of need, with a record of a spare's (state SPARE, no image) written before it is spawned. */
    private void spawnSpare() {
        GuardProcess g = null;
        try {
            String name = names.get();
            RockerRequest what = RockerRequest.builder().execDir(mountPoint).build();
            RockerRecord ahead = RockerRecord.ahead(RockerRecord.State.SPARE, engineId, name, what);
            record(ahead);
            try {
                g = spawner.apply(name);
            } catch (RuntimeException e) {
                registry.remove(name);
                throw e;
            }
            record(ahead.with(RockerRecord.State.SPARE, g, 0, what));
        } catch (RuntimeException e) {
            LOG.debug("no spare image holder: {}", e.getMessage());
            if (g != null) discard(g);
            g = null;
        }
        boolean keep;
        synchronized (this) {
            spawningSpare = false;
            keep = g != null && !closed && spare == null;
            if (keep) spare = g;
        }
        if (g != null && !keep) discard(g);
    }

    /**
     * Ends a spare holder that was never used: killed (a holder outlives its socket) through a pidfd, only if
     * that pid is still the one with its start time, reaped, its record removed.
     */
    private void discard(GuardProcess g) {
        ProcStat.killIfStill(g.guardPid, g.guardStart, "spare image holder " + g.recordName);
        Keepers.reap(g.keeperPid);
        Posix.close(g.control);
        registry.remove(g.recordName);
    }

    private void record(RockerRecord r) {
        try {
            registry.record(r);
        } catch (IOException e) {
            throw new RockerException(RockerError.SYS, "cannot record the image holder in " + registry.dir() + ": " + e.getMessage(), e);
        }
    }

    /** A rocker ended, was pruned or not built, or a new engine reconciled: holders nobody uses may go (in the background). */
    synchronized void changed() {
        if (closed || checkQueued) return; // the check that waits to run sees this change too
        checkQueued = true;
        // a holder is kept for its grace anyway: one check a little later sees a burst of ends (a busy engine's
        // every destroy listed the whole registry); with no grace, at once
        schedule(Math.min(CHECK_DELAY_MILLIS, grace.toMillis() / 10), true);
    }

    /** The longest a check waits after a change (a tenth of the grace when that is shorter). */
    static final long CHECK_DELAY_MILLIS = 500;

    private synchronized void schedule(long delayMillis) {
        schedule(delayMillis, false);
    }

    private synchronized void schedule(long delayMillis, boolean queued) {
        if (closed) return;
        executor().schedule(() -> {
            if (queued) {
                synchronized (this) {
                    checkQueued = false;
                }
            }
            try {
                check(false);
            } catch (RuntimeException e) {
                LOG.warn("cannot check the image holders: {}", e.toString());
            }
        }, delayMillis, TimeUnit.MILLISECONDS);
    }

    /** The background thread (made when first needed; it ends when idle). */
    private synchronized ScheduledExecutorService executor() {
        if (timer == null) {
            java.util.concurrent.ScheduledThreadPoolExecutor t = new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
                Thread th = new Thread(r, "rocker-images");
                th.setDaemon(true);
                return th;
            });
            t.setKeepAliveTime(2, TimeUnit.SECONDS); // no idle thread between checks
            t.allowCoreThreadTimeOut(true);
            timer = t;
        }
        return timer;
    }

    /**
     * Releases each holder that no live record has named for the grace period (with {@code now}: every
     * unused one), and comes back when the next one is due. The registry is listed without this object's
     * lock (with hundreds of rockers a listing takes a millisecond, which a start's {@link #lease} must not
     * wait for); users are then counted under it, and a holder leased since the listing began counts as
     * used: {@link #lease} picks a holder under this lock after its caller's record is written, so a record
     * written after the listing began belongs to such a lease. A record renamed over while the directory is
     * listed (a rocker's BUILDING record becoming RUNNING) may be missed too (tmpfs lists the new entry at
     * its new place), with or without the lock: a holder whose grace is over may then go while a rocker
     * uses it, which keeps its own mount; the next rocker of its image gets a new holder.
     */
    private void check(boolean now) {
        List<RockerRecord> due = new ArrayList<>();
        long next = -1;
        long listed;
        synchronized (this) {
            listed = leases;
        }
        List<RockerRecord> all = registry.all();
        java.util.function.Consumer<List<RockerRecord>> hook = afterListing;
        if (hook != null) hook.accept(all);
        synchronized (this) {
            // the records naming each image; a holder's users are checked for life only until one is alive (with
            // hundreds of rockers of one image, one /proc read instead of hundreds while a lease waits)
            Map<String, List<RockerRecord>> users = new HashMap<>();
            for (RockerRecord r : all) {
                if (r.state != RockerRecord.State.HOLDER && r.image != null) users.computeIfAbsent(r.image, i -> new ArrayList<>()).add(r);
            }
            long t = System.nanoTime();
            for (RockerRecord r : all) {
                // a holder without pids is being made (its maker's user record names its image) or is the reconciler's
                if (r.state != RockerRecord.State.HOLDER || r.guardPid <= 0 || releasing.contains(r.name)) continue;
                boolean leasedSince = leasedAt.getOrDefault(r.name, Long.MIN_VALUE) > listed;
                if ((leasedSince || users.getOrDefault(r.image, List.of()).stream().anyMatch(RockerRecord::isAlive)) && r.isAlive()) {
                    idleSince.remove(r.name);
                    continue;
                }
                long left = grace.toNanos() - (t - idleSince.computeIfAbsent(r.name, n -> t));
                if (now || left <= 0 || !r.isAlive()) {
                    releasing.add(r.name);
                    idleSince.remove(r.name);
                    leasedAt.remove(r.name);
                    byKey.values().removeIf(x -> x.name.equals(r.name));
                    due.add(r);
                } else {
                    next = next < 0 ? left : Math.min(next, left);
                }
            }
            Set<String> holders = new HashSet<>();
            for (RockerRecord r : all) {
                if (r.state == RockerRecord.State.HOLDER) holders.add(r.name);
            }
            leasedAt.entrySet().removeIf(e -> e.getValue() <= listed && !holders.contains(e.getKey()));
        }
        for (RockerRecord r : due) {
            try {
                release(r);
            } finally {
                synchronized (this) {
                    releasing.remove(r.name);
                }
            }
        }
        if (next >= 0) schedule(TimeUnit.NANOSECONDS.toMillis(next) + 1);
    }

    /** Kills the holder (the process of the recorded pid and start time, through a pidfd), awaits it and its keeper. */
    private void release(RockerRecord r) {
        int pidfd = -1;
        int keeperFd = -1;
        try {
            pidfd = Posix.pidfdOpen(r.guardPid);
            if (ProcStat.live(r.guardPid).map(s -> s.startTime == r.guardStart).orElse(false)) {
                try {
                    keeperFd = Posix.pidfdOpen(r.keeperPid);
                } catch (SysException e) {
                    // gone already
                }
                Posix.pidfdSendSignal(pidfd, Posix.SIGKILL, "image holder " + r.name);
                Posix.awaitReadable(pidfd, timeoutMillis);
                // the keeper holds the mount namespace: once it is gone, so is the holder's mount
                if (keeperFd >= 0 && ProcStat.live(r.keeperPid).map(s -> s.name.equals("rocker-keeper")).orElse(false)) {
                    Posix.awaitReadable(keeperFd, timeoutMillis);
                }
            }
        } catch (SysException e) {
            LOG.debug("image holder {}: {}", r.name, e.getMessage()); // gone already
        } finally {
            Posix.close(keeperFd);
            Posix.close(pidfd);
        }
        Keepers.reapIfOurs(r.keeperPid);
        registry.remove(r.name);
        LOG.info("image {} released: its holder {} ended", r.request.pkgPath(), r.name);
    }

    /** {@link #close(boolean)} as the last engine on the state dir. */
    @Override
    public void close() {
        close(true);
    }

    /**
     * Stops the timer, ends the spare holder and releases the holders nobody uses now when {@code last} (no
     * other engine lives on the state dir), else only those whose grace is over: the others are another
     * live engine's to time. Holders in use stay (their rockers live on).
     */
    public void close(boolean last) {
        ScheduledExecutorService t;
        GuardProcess unused;
        synchronized (this) {
            closed = true;
            t = timer;
            unused = spare;
            spare = null;
        }
        if (t != null) {
            t.shutdownNow();
            try {
                t.awaitTermination(timeoutMillis, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (unused != null) discard(unused);
        check(last);
    }
}
