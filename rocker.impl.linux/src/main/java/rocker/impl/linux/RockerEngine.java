package rocker.impl.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import rocker.api.RockerApp;
import rocker.api.RockerCaller;
import rocker.api.RockerClient;
import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.api.PreparedRocker;
import rocker.api.RockerInfo;
import rocker.api.RockerPreparer;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.api.RockerStats;
import rocker.impl.linux.sys.Posix;
import rocker.impl.linux.sys.SysException;

/**
 * The Linux engine behind the local {@link RockerClient}: builds rockers on the running kernel
 * (root needed) and keeps their registry under the state dir. Plain Java, so it runs in OSGi (see
 * {@link LinuxRockerComponent}) and in plain unit tests alike. See docs/engine.md for which process
 * and which thread does what.
 */
public class RockerEngine implements RockerClient, RockerPreparer, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RockerEngine.class);

    private final java.util.function.Supplier<String> guardLocator;
    private volatile String guardPath;
    private final Registry registry;
    private final Duration destroyTimeout;
    private final GuardNames names = new GuardNames();
    /** Package-private for tests (LifecycleEventsTest). */
    final ExitWatcher watcher;
    /** Package-private for tests (SpareGuardTest). */
    final GuardPool pool;
    /** Changes of the host's mount table: a spare made before one is not taken (its namespace lacks the change). */
    private final HostMountWatch hostMounts = new HostMountWatch();
    /** The mount workers of this engine's plans (and its image holders'). */
    private final MountInterpreter mounts = new MountInterpreter();
    private final Cgroups cgroups;
    private final ServerFiles serverFiles;
    /** The images' shared mounts (docs/engine.md, "Shared image mounts"). */
    private final ImageHolders images;
    /** Its shared lock on the state dir's engines file, held until its close: see {@link EnginePresence}. */
    private final EnginePresence presence;
    private final Path stateDir;
    /** This engine among the engines of this JVM (records it sets up name it as their owner). */
    private final long engineId = new java.security.SecureRandom().nextLong() & Long.MAX_VALUE;
    private volatile String stateKey;
    /** Readable once the engine closes: the threads copying streamed output stop (the guards drain it). */
    private final int[] stopPumps = Posix.pipe();
    private final java.util.Queue<Thread> pumps = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private int locksDir = -1;
    private int copiesDir = -1;
    /** The largest image copied before a loop device reads it (imageCopyMaxMiB). */
    private volatile long imageCopyLimit = 1024L << 20;
    /** Where such an image is copied (imageCopyDir). */
    private Path imageCopyDir = Path.of("/var/tmp");
    /** Rockers built to be entered (ROCKER_enter_rocker) whose caller has not started its app yet, by name. */
    private final java.util.Map<String, Prepared> prepared = new java.util.concurrent.ConcurrentHashMap<>();

    /** A rocker waiting for its caller's app: its guard (our child keeper unreaped) and its BUILDING record. */
    private record Prepared(GuardProcess guard, RockerRecord building) { }

    /** Where lifecycle events go (each EventAdmin there, through {@link EventAdminEvents}). */
    private final List<EngineEvents> sinks = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** The rockers CREATED or ADOPTED was posted for, until DESTROYED is: each is told once. */
    private final java.util.Map<String, RockerInfo> announced = new java.util.concurrent.ConcurrentHashMap<>();
    /** The announced rockers that were entered (their app is not the guard's child). */
    private final java.util.Set<String> entered = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** ADOPTED events of the rockers adopted at start, posted once a sink is there. */
    private final java.util.Queue<RockerInfo> adoptedUntold = new java.util.concurrent.ConcurrentLinkedQueue<>();

    /** The dirs hidden inside every rocker besides the state dir unless told otherwise: the server's default socket dir. */
    public static final List<String> DEFAULT_HIDDEN_PATHS = List.of("/run/rocker");

    /** An engine without spare guards that hides its state dir and {@link #DEFAULT_HIDDEN_PATHS}. */
    public RockerEngine(Path stateDir, String guardPath, Duration destroyTimeout) {
        this(stateDir, () -> guardPath, destroyTimeout, 0);
    }

    /**
     * An engine whose guard is located when the first rocker is built (so that a non-root engine still
     * starts), keeping {@code spareGuards} guards started ahead of need once it builds rockers; it hides
     * its state dir and {@link #DEFAULT_HIDDEN_PATHS}.
     */
    public RockerEngine(Path stateDir, java.util.function.Supplier<String> guardLocator, Duration destroyTimeout,
            int spareGuards) {
        this(stateDir, guardLocator, destroyTimeout, spareGuards, DEFAULT_HIDDEN_PATHS);
    }

    /**
     * As above; inside every rocker the state dir and each of {@code hiddenPaths} (absolute, not "/" nor a
     * top-level dir: those are refused with a warning) are hidden under an empty read-only tmpfs, and the
     * guard executable, when it lies outside them, is read-only (docs/engine.md).
     */
    public RockerEngine(Path stateDir, java.util.function.Supplier<String> guardLocator, Duration destroyTimeout,
            int spareGuards, List<String> hiddenPaths) {
        this(stateDir, guardLocator, destroyTimeout, spareGuards, hiddenPaths, Cgroups.DEFAULT_PARENT);
    }

    /**
     * As above, each rocker's cgroups being {@code cgroupParent/NAME} (a relative path of plain names) in
     * every cgroup hierarchy this host has (docs/engine.md, "Resource limits").
     */
    public RockerEngine(Path stateDir, java.util.function.Supplier<String> guardLocator, Duration destroyTimeout,
            int spareGuards, List<String> hiddenPaths, String cgroupParent) {
        this(stateDir, guardLocator, destroyTimeout, spareGuards, hiddenPaths, new Cgroups(CgroupLayout.detect(), cgroupParent));
    }

    RockerEngine(Path stateDir, java.util.function.Supplier<String> guardLocator, Duration destroyTimeout,
            int spareGuards, List<String> hiddenPaths, Cgroups cgroups) {
        this.guardLocator = guardLocator;
        this.cgroups = cgroups;
        this.stateDir = stateDir;
        // a serving engine looks at the image holders again every so often: a holder's last rocker may end unseen
        // by it (made and killed by rocker ... --local beside it). Until told (oneShot), one that keeps spares serves
        this.lookAgain = spareGuards > 0;
        this.watcher = new ExitWatcher(this::gone, this::exited, this::holdersAgain, HOLDERS_AGAIN_MILLIS);
        this.pool = new GuardPool(spareGuards, this::startGuard, this::prepareSpare, this::releaseSpare,
                g -> g.hostGeneration == hostMounts.generation());
        this.registry = new Registry(stateDir, this::pruned);
        this.destroyTimeout = destroyTimeout;
        this.serverFiles = new ServerFiles(stateDir, hiddenPaths);
        this.images = new ImageHolders(registry, engineId, this::newName, this::startHolder, stateDir.toString(), destroyTimeout,
                spareGuards > 0, mounts);
        RockerRecord.LIVE_ENGINES.add(engineId);
        this.presence = presence(stateDir);
        try {
            reconcile();
            for (RockerRecord r : registry.live()) {
                if (watcher.find(r.name).map(ExitWatcher.Watched::adopted).orElse(false)) {
                    if (r.state == RockerRecord.State.ENTERED) entered.add(r.name);
                    announced.put(r.name, r.toInfo());
                    adoptedUntold.add(r.toInfo());
                }
            }
        } catch (RuntimeException | Error e) {
            // no close will come: this engine is not present any more, and nothing of it may go on (its watcher ticks)
            if (presence != null) presence.close();
            RockerRecord.LIVE_ENGINES.remove(engineId);
            try {
                watcher.close();
                images.close(false);
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        images.changed(); // the holders an engine before this one left: kept while used, then for their grace period
        try {
            // what a killed engine left: its spares' and half-built rockers' empty cgroups
            cgroups.sweep(registry::contains);
        } catch (RuntimeException e) {
            LOG.warn("cannot look for leftover cgroups: {}", e.toString());
        }
    }

    @Override
    public RockerResult enterRocker(RockerRequest request, RockerApp app) {
        return enterRocker(request, app, RockerCaller.engine());
    }

    @Override
    public RockerResult enterRocker(RockerRequest request, RockerApp app, RockerCaller caller) {
        if (app == null) {
            return RockerResult.failure(RockerError.PARAM_INVALID, "app 'null': is required");
        }
        return checkedBuild(request, app, caller, app::validate);
    }

    /**
     * Builds a rocker for a caller that starts its own app in it (the C library's ROCKER_enter_rocker,
     * through the server): only with the engine's own credentials, since the caller joins its namespaces.
     * The app's filter is compiled before anything is built.
     */
    @Override
    public PreparedRocker prepare(RockerRequest request, RockerCaller caller) {
        if (caller != null && !caller.isEngine()) {
            LOG.info("rocker to enter not built for {}: not root", caller);
            return PreparedRocker.failed(RockerResult.failure(RockerError.ENTER_ROCKER_FAILED, "permission denied (EPERM): only root "
                    + "can enter a rocker (" + caller + "); ROCKER_run_rocker runs a command for any user"));
        }
        byte[][] filter = {null};
        RockerResult built = checkedBuild(request, null, caller, () -> {
            enterable(request);
            filter[0] = SeccompFilter.compile(guard(), SeccompProfile.fields(request.seccomp()));
        });
        if (!built.isSuccess()) return PreparedRocker.failed(built);
        List<String> procs = new ArrayList<>();
        cgroups.dirs(built.guardName()).forEach(d -> procs.add(d.resolve("cgroup.procs").toString()));
        return PreparedRocker.ready(built, filter[0], procs);
    }

    /** What an entered rocker cannot honour: its app is the caller's child, not the guard's. */
    private static void enterable(RockerRequest request) {
        if (request.removeOnExit()) {
            throw new RockerException(RockerError.PARAM_INVALID, "remove_on_exit 'true': not possible for an entered rocker "
                    + "(its app is the caller's child, not the guard's): destroy it when done");
        }
        if (request.userNamespace()) {
            throw new RockerException(RockerError.PARAM_INVALID, "userns 'true': not possible for an entered rocker "
                    + "(the caller's process cannot be moved into a new user namespace by the guard)");
        }
    }

    @Override
    public RockerResult started(String guardName, int appPid) {
        Prepared p = guardName == null ? null : prepared.remove(guardName);
        if (p == null) {
            return RockerResult.failure(RockerError.ENTER_ROCKER_FAILED, "guard_name '" + guardName
                    + "': no rocker of this engine waits to be entered");
        }
        GuardProcess guard = p.guard();
        try {
            checkEntered(guardName, guard.guardPid, appPid);
            RockerRecord record = p.building().with(RockerRecord.State.ENTERED, guard, appPid, p.building().request);
            registry.record(record);
            entered.add(guardName);
            created(record);
            watcher.watch(guardName, guard.control, guard.keeperPid);
            LOG.info("rocker {} entered: app pid {} (the caller's child), guard pid {}", guardName, appPid, guard.guardPid);
            return RockerResult.success(appPid, guard.guardPid, guardName, "rocker " + guardName + " entered by pid " + appPid);
        } catch (RockerException | SysException | IOException e) {
            tearDown(guard, guardName);
            String why = e instanceof IOException ? "cannot record the rocker in " + registry.dir() + ": " + e.getMessage() : e.getMessage();
            LOG.info("rocker {} not entered, torn down: {}", guardName, why);
            return RockerResult.failure(e instanceof RockerException ? ((RockerException) e).error() : RockerError.ENTER_ROCKER_FAILED, why);
        }
    }

    /** {@code appPid} is a live process in the rocker's pid namespace, other than its guard. */
    private static void checkEntered(String name, int guardPid, int appPid) {
        String field = "app_pid '" + appPid + "'";
        if (appPid <= 0 || appPid == guardPid) {
            throw new RockerException(RockerError.ENTER_ROCKER_FAILED, field + ": is not an app of rocker " + name);
        }
        int pidfd;
        try {
            pidfd = Posix.pidfdOpen(appPid);
        } catch (SysException e) {
            throw new RockerException(RockerError.ENTER_ROCKER_FAILED, field + ": no such process");
        }
        try {
            String ns = pidNamespace(appPid);
            if (ns == null || !ns.equals(pidNamespace(guardPid)) || Posix.awaitReadable(pidfd, 0)) {
                throw new RockerException(RockerError.ENTER_ROCKER_FAILED, field + ": is not a live process in the pid namespace of rocker " + name);
            }
        } finally {
            Posix.close(pidfd);
        }
    }

    private static String pidNamespace(int pid) {
        try {
            return Files.readSymbolicLink(Path.of("/proc", Integer.toString(pid), "ns", "pid")).toString();
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public RockerResult abandon(String guardName) {
        Prepared p = guardName == null ? null : prepared.remove(guardName);
        if (p == null) {
            return RockerResult.failure(RockerError.PARAM_INVALID, "guard_name '" + guardName + "': no rocker of this engine waits to be entered");
        }
        tearDown(p.guard(), guardName);
        LOG.info("rocker {} was never entered: torn down", guardName);
        return RockerResult.success(0, p.guard().guardPid, guardName, "rocker " + guardName + " torn down");
    }

    /** A rocker that never ran: guard killed, keeper awaited, record, cgroups and lock files gone. */
    private void tearDown(GuardProcess guard, String name) {
        abandon(guard);
        registry.remove(name);
        cgroups.remove(name);
        if (LockFiles.sweepDue()) sweepLocks(); // its lock files are kept for the next rocker on its data dir, as a destroyed one's
        images.changed();
    }

    /**
     * Checks (the request, then {@code check}: the app's or the entered rocker's), then builds: with
     * {@code app} null, a rocker to be entered (no app started).
     */
    private RockerResult checkedBuild(RockerRequest request, RockerApp app, RockerCaller caller, Runnable check) {
        try {
            if (caller == null) {
                throw new RockerException(RockerError.PARAM_INVALID, "caller 'null': is required");
            }
            if (request == null) {
                throw new RockerException(RockerError.PARAM_INVALID, "request 'null': is required");
            }
            request.validate();
            check.run();
            if (Posix.geteuid() != 0) {
                throw new RockerException(RockerError.SYS, "building a rocker needs root (the engine runs as uid "
                        + Posix.geteuid() + "); use the server's socket instead");
            }
            if (!caller.isEngine()) {
                forUser(request, caller);
            }
            HostChecks.check(request);
            return buildExclusively(request, app, caller);
        } catch (RockerException e) {
            LOG.info("rocker for app {} not built: {}: {}", request == null ? "?" : request.appId(), e.error().seedName(), e.getMessage());
            return e.toResult();
        } catch (SysException e) {
            LOG.warn("rocker not built: {}", e.getMessage());
            return RockerResult.failure(RockerError.SYS, e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("rocker not built: unexpected failure", e);
            return RockerResult.failure(RockerError.UNKNOWN, e.toString());
        }
    }

    /** A user gets rockers for itself only, within {@link rocker.api.UserLimits} (the server applies the same). */
    private static void forUser(RockerRequest request, RockerCaller caller) {
        rocker.api.UserLimits.refusal(request, caller.uid(), caller.gid()).ifPresent(why -> {
            throw new RockerException(RockerError.SYS, "permission denied: " + why);
        });
    }

    /**
     * Builds; one rocker per data dir (two overlays on the same upper dir are undefined behaviour) is the
     * data-dir lock's job ({@link DataDirLock}), which holds across engines and server restarts.
     */
    private RockerResult buildExclusively(RockerRequest request, RockerApp app, RockerCaller caller) {
        try {
            return build(request, app, caller);
        } finally {
            pool.refill();
        }
    }

    /**
     * Makes the registry and the processes agree again (see {@link Reconciler}): adopts the running
     * rockers, tears down what engines that are gone left half-built, destroys unrecorded guards.
     */
    private void reconcile() {
        if (Posix.geteuid() != 0 || !Files.isDirectory(registry.dir())) return;
        try {
            long t0 = System.nanoTime();
            String configured = null;
            try {
                configured = guard();
            } catch (RuntimeException e) {
                LOG.debug("no configured guard to recognise: {}", e.getMessage());
            }
            Reconciler.Outcome o = new Reconciler(registry, watcher, cgroups, stateKey(),
                    Reconciler.binaries(stateDir.resolve("bin"), configured), (int) destroyTimeout.toMillis()).run();
            if (Files.isDirectory(stateDir.resolve("locks"))) sweepLocks();
            LOG.info("state dir {} reconciled in {} ms: {}", stateDir, (System.nanoTime() - t0) / 1_000_000, o);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot reconcile the state dir {}: {}", stateDir, e.toString());
        }
    }

    /** The state dir's key on the guards' command lines (its device and inode); the dir is made when missing. */
    private String stateKey() throws IOException {
        String k = stateKey;
        if (k == null) {
            Files.createDirectories(stateDir);
            stateKey = k = Reconciler.stateKey(stateDir);
        }
        return k;
    }

    /** Removes the data-dir lock files no live rocker holds (they would pile up: one per dir ever locked). */
    private void sweepLocks() {
        try {
            int dir = locksDirCopy();
            try {
                LockFiles.sweep(dir);
            } finally {
                Posix.close(dir);
            }
        } catch (RuntimeException e) {
            LOG.debug("cannot sweep the lock files: {}", e.toString());
        }
    }

    /** A rocker whose guard was found gone when its record was read: its cgroups go, its image may be released. */
    private void pruned(String name) {
        cgroups.remove(name);
        images.changed();
    }

    /** What goes when a rocker is gone: its cgroups, its image's shared mount once unused, and (once many were made) the lock files nobody holds. */
    private void gone(String name) {
        cgroups.remove(name);
        images.changed();
        if (LockFiles.sweepDue()) sweepLocks();
        RockerInfo info = announced.remove(name);
        entered.remove(name);
        if (info != null) post(rocker.api.RockerEvents.DESTROYED, info, java.util.Map.of());
    }

    /** The app of a rocker this engine watches ended (an entered rocker's app is not the guard's: not told). */
    private void exited(String name, int code, int signal) {
        RockerInfo info = announced.get(name);
        if (info != null && !entered.contains(name)) {
            post(rocker.api.RockerEvents.APP_EXITED, info, java.util.Map.of(rocker.api.RockerEvents.EXIT_STATUS, code,
                    rocker.api.RockerEvents.EXIT_SIGNAL, signal));
        }
    }

    /** A rocker runs: CREATED. */
    private void created(RockerRecord running) {
        RockerInfo info = running.toInfo();
        announced.put(running.name, info);
        post(rocker.api.RockerEvents.CREATED, info, java.util.Map.of());
    }

    /**
     * Lifecycle events go to {@code sink} too (the engine's component adds one for each EventAdmin);
     * the first one added is also told the rockers this engine adopted when it started.
     */
    void addEventSink(EngineEvents sink) {
        sinks.add(sink);
        for (RockerInfo i; (i = adoptedUntold.poll()) != null;) {
            post(rocker.api.RockerEvents.ADOPTED, i, java.util.Map.of());
        }
    }

    void removeEventSink(EngineEvents sink) {
        sinks.remove(sink);
    }

    private void post(String topic, RockerInfo info, java.util.Map<String, Object> extra) {
        if (sinks.isEmpty()) return;
        java.util.Map<String, Object> p = new java.util.HashMap<>(extra);
        p.put(rocker.api.RockerEvents.GUARD_NAME, info.guardName());
        p.put(rocker.api.RockerEvents.GUARD_PID, info.guardPid());
        p.put(rocker.api.RockerEvents.APP_PID, info.appPid());
        p.put(rocker.api.RockerEvents.APP_ID, info.request().appId());
        p.put(rocker.api.RockerEvents.UID, info.request().uid());
        for (EngineEvents s : sinks) {
            try {
                s.post(topic, p);
            } catch (RuntimeException e) {
                LOG.warn("cannot post {} of rocker {}: {}", topic, info.guardName(), e.toString());
            }
        }
    }

    /**
     * The copy dir ({@link #imageCopyDir}), opened once: where an image that someone besides root can change is
     * copied to a file with no name (ImageSource). Made root only (0700) when missing; it must be root's.
     */
    private synchronized int copiesDir() {
        if (copiesDir < 0) {
            int fd = openDir(imageCopyDir, 0); // root's own setting: a link to its dir is followed
            try {
                rocker.impl.linux.sys.Stat st = rocker.impl.linux.sys.Fd.stat(fd, imageCopyDir.toString());
                if (!st.isDir() || st.uid != 0) {
                    throw new RockerException(RockerError.SYS, "imageCopyDir '" + imageCopyDir + "': must be a dir owned by root");
                }
            } catch (RuntimeException e) {
                Posix.close(fd);
                throw e;
            }
            copiesDir = fd;
        }
        return copiesDir;
    }

    /** {@code <state dir>/NAME}, made root only (0700) when missing, and opened. */
    private int rootOnlyDir(String name) {
        return openDir(stateDir.resolve(name), rocker.impl.linux.sys.Fd.O_NOFOLLOW);
    }

    /** {@code dir}, made root only (0700) when missing, and opened with {@code flags} besides O_RDONLY and O_DIRECTORY. */
    private static int openDir(Path dir, int flags) {
        try {
            Files.createDirectories(dir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw new RockerException(RockerError.SYS, "cannot create the dir " + dir + ": " + e.getMessage(), e);
        }
        return rocker.impl.linux.sys.Fd.openNoMagicLinks(dir.toString(), Posix.O_RDONLY | rocker.impl.linux.sys.Fd.O_DIRECTORY | flags, 0);
    }

    /** {@code <state dir>/locks}, opened once (root only, 0700). */
    /** A copy of the lock dir's descriptor for one user, who closes it (the engine's own closes with the engine). */
    private synchronized int locksDirCopy() {
        return rocker.impl.linux.sys.Fd.dup(locksDir(), stateDir.resolve("locks").toString());
    }

    private synchronized int locksDir() {
        if (locksDir < 0) locksDir = rootOnlyDir("locks");
        return locksDir;
    }

    /**
     * A keeper and guard in the mode {@code flags}, for a spare or one request: its name is chosen and its
     * record written (state spare, this engine its owner) before it is spawned, then the record gets its pids.
     */
    private GuardProcess startGuard(String flags) {
        String name = newName();
        RockerRecord ahead = RockerRecord.ahead(RockerRecord.State.SPARE, engineId, name, DEFAULT_LIMITS);
        try {
            registry.record(ahead);
        } catch (IOException e) {
            throw new RockerException(RockerError.SYS, "cannot record the rocker in " + registry.dir() + ": " + e.getMessage(), e);
        }
        GuardProcess g;
        long generation = hostMounts.generation(); // before its namespace copies the host's mounts
        try {
            g = GuardProcess.start(guard(), GuardPool.SPARE_NAME, flags, name, stateKey());
            g.hostGeneration = generation;
        } catch (IOException | RuntimeException e) {
            registry.remove(name);
            if (e instanceof RuntimeException) throw (RuntimeException) e;
            throw new RockerException(RockerError.SYS, "cannot read the state dir " + stateDir + ": " + e.getMessage(), e);
        }
        try {
            registry.record(ahead.with(RockerRecord.State.SPARE, g, 0, DEFAULT_LIMITS));
            return g;
        } catch (IOException | RuntimeException e) {
            abandon(g);
            registry.remove(name);
            throw new RockerException(RockerError.SYS, "cannot record the rocker in " + registry.dir() + ": " + e.getMessage(), e);
        }
    }

    private RockerResult build(RockerRequest request, RockerApp app, RockerCaller caller) {
        ImageSource image = ImageSource.open(request.pkgPath(), caller);
        ImageKey imageKey = image.key;
        ImageHolders.Lease sharedImage = null;
        DataDir data = new DataDir(request, caller);
        MountPlan plan = null;
        GuardProcess guard = null;
        AppStdio stdio = null;
        String cgroup = null;
        int statusSocket = -1;
        DataDirLock lock = null;
        ExitWatcher.Watched expected = null;
        boolean watching = false;
        try {
            guard = pool.take(request);
            String name = guard.recordName;
            RockerRecord building = RockerRecord.ahead(RockerRecord.State.BUILDING, engineId, name, request)
                    .with(RockerRecord.State.BUILDING, guard, 0, request).withImage(imageKey.toString());
            statusSocket = guard.takeStatusSocket(); // a spare's, made ahead of need
            // on a spare the plan starts at once: what it does before its first gate mounts nothing, and the record
            // and the lease are made meanwhile (BuildGate); a new guard gets its status socket once recorded
            BuildGate gate = new BuildGate();
            boolean parallel = statusSocket >= 0;
            if (!parallel) {
                sharedImage = recordAndLease(building, imageKey, image, request, app);
                statusSocket = registry.listenStatus(name);
                gate.open(sharedImage);
            }
            // the server's files are resolved here, on the host; the guard's path is known once a guard was taken
            // a spare (in its cgroups already) forked the app's process ahead; an app with the default filter and no
            // user namespace uses it: the guard hands it the request (rocker-guard.c)
            boolean forkAhead = app != null && guard.inCgroup && request.seccomp() == null && !request.userNamespace();
            lock = new DataDirLock(name, data, locksDirCopy(), statusSocket, guard.control, forkAhead);
            plan = MountPlan.of(request, caller, data, lock, image, gate, serverFiles.ops(guard()), guard.mounts);
            java.util.concurrent.CompletableFuture<Void> planned = mounts.start(name, guard.guardPid, -1, plan.ops());
            if (parallel) {
                try {
                    registry.record(building);
                    gate.recorded(); // the plan mounts its overlays while a new image's holder mounts the image
                    sharedImage = lease(imageKey, image, request, app);
                    gate.open(sharedImage);
                    cgroup = name;
                    bound(name, guard, request); // the spare's cgroups, while the plan goes on
                } catch (RuntimeException | IOException | Error e) {
                    gate.fail(e);
                    // the plan stops at its gate, or (a failure after the gate opened: the limits) ends first; then
                    // its steps are undone below
                    awaitQuietly(planned);
                    throw e;
                }
            }
            MountInterpreter.await(planned);
            if (!parallel) {
                cgroup = name;
                bound(name, guard, request);
            }
            if (app == null) {
                join(guard, name, request);
                prepared.put(name, new Prepared(guard, building));
                data.commit();
                LOG.info("rocker {} built to be entered: guard pid {}, app id {}, image {}", name, guard.guardPid,
                        request.appId(), request.pkgPath());
                return RockerResult.success(0, guard.guardPid, name, "rocker " + name + " is ready to be entered");
            }
            stdio = AppStdio.open(app, request, caller, data);
            int appPid = AppStarter.start(guard, name, request, app, stdio.fds(), stdio.readEnds(), !caller.isEngine());
            stdio.close();
            pumps.addAll(stdio.startPumps(name, stopPumps[0]));
            pumps.removeIf(t -> !t.isAlive());
            RockerRecord running = building.with(RockerRecord.State.RUNNING, guard, appPid, request);
            registry.record(running);
            // known before CREATED, so that a listener's onAppExit gets the app's end; watched only after it
            expected = watcher.expect(name, guard.control, guard.keeperPid);
            created(running); // before the watcher can see the app's end: CREATED comes first
            data.commit();
            // from here the watcher owns the control socket: nothing below is undone (a failure before is, with it
            // closed by us); marked first, so that nothing here closes it again whatever arm() throws
            watching = true;
            watcher.arm(expected);
            LOG.info("rocker {} built for {}: guard pid {}, app pid {}, app id {}, image {}", name, caller, guard.guardPid,
                    appPid, request.appId(), request.pkgPath());
            return RockerResult.success(appPid, guard.guardPid, name, "rocker " + name + " is running " + app.command().get(0));
        } catch (RuntimeException | IOException | Error e) {
            if (watching) { // built, recorded and watched (a failure of the log line, or an Error): the rocker runs, nothing to undo
                if (e instanceof Error) throw (Error) e;
                if (e instanceof RuntimeException) throw (RuntimeException) e;
                throw new java.io.UncheckedIOException((IOException) e);
            }
            if (expected != null) watcher.unexpect(expected);
            // an Error too (e.g. no native thread left): a half-built rocker must not stay behind unrecorded
            if (guard != null) {
                abandon(guard);
                registry.remove(guard.recordName);
            }
            if (cgroup != null) {
                cgroups.remove(cgroup);
            } else if (guard != null && guard.inCgroup) {
                cgroups.remove(guard.recordName); // a spare's, made ahead of need
            }
            if (stdio != null) {
                stdio.abort();
            }
            data.rollback();
            if (lock != null) lock.discard(); // its guard is gone: the lock files this build locked go, unless held
            if (LockFiles.sweepDue()) sweepLocks(); // failed builds count towards the sweep too (they made files)
            images.changed();
            if (e instanceof IOException) {
                throw new RockerException(RockerError.SYS, "cannot record the rocker in " + registry.dir() + ": " + e.getMessage(), e);
            }
            if (e instanceof SysException) {
                throw new RockerException(RockerError.BUILD_ROCKER_FAILED, e.getMessage(), e);
            }
            if (e instanceof Error) throw (Error) e;
            throw (RuntimeException) e;
        } finally {
            if (plan != null) plan.close();
            if (sharedImage != null) sharedImage.close(); // the rocker's mount is its own reference
            data.close();
            image.close(); // a loop device holds its own reference to the file (the image or its copy)
            Posix.close(statusSocket); // the guard holds its own
            if (lock != null) lock.close();
        }
    }

    /** The rocker's BUILDING record (naming its image), then its image's lease (null: a loop device of its own). */
    private ImageHolders.Lease recordAndLease(RockerRecord building, ImageKey key, ImageSource image, RockerRequest request, RockerApp app)
            throws IOException {
        registry.record(building);
        return lease(key, image, request, app);
    }

    /**
     * The image's lease (null: a loop device of its own), after the record naming the image. An image that
     * someone besides root may change is copied first where a loop device will read it: for a new holder (here,
     * on the caller's thread, outside the holders' lock, so that a slow copy holds up nobody else's lease) and
     * for the rocker's own loop device (the plan's image step waits at its gate, opened after this).
     */
    private ImageHolders.Lease lease(ImageKey key, ImageSource image, RockerRequest request, RockerApp app) {
        if (image.needsCopy() && images.shares() && !images.holds(key)) copy(image);
        // a new mount of it gets the app's executable read ahead
        ImageHolders.Lease lease = images.lease(key, image, request.pkgPath(), ImagePrefetch.pathInImage(request.execDir(), app));
        if (lease == null && image.needsCopy()) copy(image);
        return lease;
    }

    /** The image's copy made (ImageSource#copy), in a descriptor of the copy dir of its own (a new setting closes the engine's). */
    private void copy(ImageSource image) {
        int dir;
        synchronized (this) {
            dir = rocker.impl.linux.sys.Fd.dup(copiesDir(), imageCopyDir.toString());
        }
        try {
            image.copy(dir, imageCopyLimit);
        } finally {
            Posix.close(dir);
        }
    }

    /** Waits for a plan that is failing anyway (the caller's own failure is the one reported). */
    private static void awaitQuietly(java.util.concurrent.CompletableFuture<Void> planned) {
        try {
            MountInterpreter.await(planned);
        } catch (RuntimeException e) {
            LOG.debug("the plan stopped: {}", e.getMessage());
        }
    }

    /** The guard takes the rocker's name, hostname, /proc and /dev/mqueue, and starts no app ("J"). */
    private static void join(GuardProcess guard, String name, RockerRequest request) {
        Posix.send(guard.control, GuardMessage.join(name, request), new int[0]);
        GuardMessage m = GuardProcess.next(guard.control, "the guard");
        if (m.isFailure()) throw m.failure("the rocker", null);
        if (!m.kind.equals(GuardMessage.JOIN)) {
            throw new RockerException(RockerError.BUILD_ROCKER_FAILED, "the guard sent '" + m.kind + "'");
        }
    }

    /**
     * The rocker's limits hold before the app's first instruction: its cgroups are made and limited, the
     * keeper and the guard moved in (a new guard forks the app only on the app request, sent after this; a
     * spare is in its cgroups already, and its process forked ahead counts against the limits written here
     * while the plan runs), and both are out of the OOM killer's reach so that it picks the app.
     */
    private void bound(String name, GuardProcess guard, RockerRequest request) {
        if (guard.inCgroup) {
            cgroups.limit(name, request); // a spare: already in its cgroup, only the request's limits are new
            return;
        }
        cgroups.create(name, request);
        cgroups.protectFromOom(guard.keeperPid);
        cgroups.protectFromOom(guard.guardPid);
        cgroups.enter(name, guard.keeperPid, guard.guardPid);
    }

    private String newName() {
        return names.next(n -> registry.contains(n) || watcher.find(n).isPresent());
    }

    /**
     * A new spare gets its rocker's name, cgroup (with the default limits) and listening status socket now:
     * moving the keeper and the guard into a cgroup costs milliseconds on cgroup v1 (the kernel synchronizes
     * with RCU), which a request then does not wait for.
     */
    private void prepareSpare(GuardProcess spare) {
        String name = spare.recordName;
        cgroups.create(name, DEFAULT_LIMITS);
        try {
            cgroups.protectFromOom(spare.keeperPid);
            cgroups.protectFromOom(spare.guardPid);
            cgroups.enter(name, spare.keeperPid, spare.guardPid);
        } catch (RuntimeException e) {
            cgroups.remove(name);
            throw e;
        }
        spare.inCgroup = true;
        spare.holdStatusSocket(registry.listenStatus(name)); // its file is removed with the record when it is discarded
        // its mounts are noted, then its /dev (when a request can use it: it needs a shared image) and masks
        // built, in its namespace as the worker pinned it (checked to be this spare's); a failure discards it
        spare.mounts = SpareMounts.build(mounts, spare, images.shares());
        // its /proc made ahead too, on that /dev (a start then only moves it on /proc: ~0.1 ms less), where the
        // kernel can move it and make it writable again after the plan's read-only step (5.12+); answered before
        // the spare goes in the pool, so that no plan runs in its namespace meanwhile
        if (spare.mounts.devBuilt && ProcAhead.SUPPORTED) {
            Posix.send(spare.control, GuardMessage.stageProc());
            GuardMessage m = GuardProcess.next(spare.control, "spare guard " + spare.guardPid);
            if (!m.kind.equals(GuardMessage.STAGE)) {
                throw new RockerException(RockerError.BUILD_ROCKER_FAILED, "spare guard " + spare.guardPid + " answered '" + m.kind
                        + "' to making its /proc ahead");
            }
            if (m.number(1) != 1) LOG.debug("spare guard {}: /proc not made ahead (errno {}); it is mounted with the request", spare.guardPid, m.number(2));
        }
        // and the app's process forked ahead, in the spare's cgroups, so that no start waits for that fork ("B")
        Posix.send(spare.control, GuardMessage.forkAhead());
    }

    /** Whether a spare's guard may mount the rocker's /proc ahead ("P"): move_mount and mount_setattr are there. */
    private static final class ProcAhead {
        static final boolean SUPPORTED = rocker.impl.linux.sys.MountApi.available() && rocker.impl.linux.sys.MountApi.setAttrAvailable();
    }

    /** A spare discarded unclaimed (and gone): its cgroup and record go. */
    private void releaseSpare(GuardProcess spare) {
        spare.closeStatusSocket();
        if (spare.inCgroup) cgroups.remove(spare.recordName);
        registry.remove(spare.recordName);
    }

    /**
     * How long an image's shared mount is kept once no rocker uses it (default 60 s: a restarted app finds
     * it warm); zero: released as soon as its last rocker is gone (docs/engine.md, "Shared image mounts").
     */
    public void imageGrace(Duration grace) {
        images.grace(grace);
    }

    /**
     * The largest image the engine copies before a loop device reads it (default 1024 MiB): an image that
     * someone besides root can change (docs/security.md, "Images only root can change"); a larger one is
     * refused with {@code param_invalid} (0: every such image is). The copies are files with no name in {@link #imageCopyDir}.
     */
    public void imageCopyLimit(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("imageCopyLimit: " + bytes + " bytes");
        imageCopyLimit = bytes;
    }

    /**
     * The dir where such images are copied (default {@code /var/tmp}), to files with no name: a user's copy is
     * the user's, on a file system where the user could write as much anyway; a root client's is root's. A dir
     * owned by root; made (0700) when missing. Takes effect for the next copy.
     */
    public synchronized void imageCopyDir(Path dir) {
        if (!dir.isAbsolute()) throw new IllegalArgumentException("imageCopyDir: '" + dir + "' is not an absolute path");
        if (!dir.equals(imageCopyDir)) {
            Posix.close(copiesDir);
            copiesDir = -1;
            imageCopyDir = dir;
        }
    }

    /**
     * An image holder (a guard in mode {@code h}) under the record {@code name}. It gets no cgroup: it runs
     * no app, and a service manager stopping the server kills only its main process (dist/rocker.service).
     */
    private GuardProcess startHolder(String name) {
        try {
            return GuardProcess.start(guard(), ImageHolders.HOLDER_NAME, ImageHolders.FLAGS, name, stateKey());
        } catch (IOException e) {
            throw new RockerException(RockerError.SYS, "cannot read the state dir " + stateDir + ": " + e.getMessage(), e);
        }
    }

    /** The limits of a request that says nothing: a spare's until a request claims it. */
    private static final RockerRequest DEFAULT_LIMITS = RockerRequest.builder().build();

    private String guard() {
        String g = guardPath;
        if (g == null) {
            guardPath = g = guardLocator.get();
        }
        return g;
    }

    /** Tears a half-built rocker down: kill its guard, wait until its keeper (and so its mounts) are gone. */
    private void abandon(GuardProcess guard) {
        if (!ProcStat.killIfStill(guard.guardPid, guard.guardStart, "guard " + guard.name)) {
            LOG.debug("guard {} already gone", guard.name);
        }
        Keepers.reap(guard.keeperPid);
        Posix.close(guard.control);
    }

    @Override
    public RockerResult getGuardName(int pid) {
        return ProcStat.read(pid)
                .map(s -> RockerResult.success(0, pid, s.name, "process " + pid + " is named " + s.name))
                .orElseGet(() -> RockerResult.failure(RockerError.GET_GUARDNAME_FAILED, "pid '" + pid + "': no such process"));
    }

    @Override
    public RockerResult destroy(String guardName) {
        Optional<RockerRecord> r = registry.find(guardName);
        if (r.isEmpty()) {
            return RockerResult.failure(RockerError.PARAM_INVALID, "guard_name '" + guardName + "': no such live rocker");
        }
        return kill(r.get().guardPid, guardName, r.get());
    }

    @Override
    public RockerResult destroy(int guardPid, String expectedName) {
        RockerRecord record = registry.find(expectedName).filter(x -> x.guardPid == guardPid).orElse(null);
        return kill(guardPid, expectedName, record);
    }

    private RockerResult kill(int pid, String name, RockerRecord record) {
        int pidfd;
        try {
            pidfd = Posix.pidfdOpen(pid);
        } catch (SysException e) {
            return RockerResult.failure(RockerError.GET_GUARDNAME_FAILED, "guard_pid '" + pid + "': " + e.getMessage());
        }
        try {
            // the pidfd pins the process: the checks below are about the very process we will signal
            Optional<ProcStat> s = ProcStat.live(pid);
            if (s.isEmpty() || !s.get().is(name, record == null ? 0 : record.guardStart)) {
                return RockerResult.failure(RockerError.GET_GUARDNAME_FAILED, "guard_pid '" + pid + "': is not the guard "
                        + name + (s.isPresent() ? " (it is named " + s.get().name + ")" : " (no such process)"));
            }
            if (!GuardNames.looksLikeGuardName(name) || !isPidOneOfItsNamespace(pid)) {
                return RockerResult.failure(RockerError.PARAM_INVALID, "guard_pid '" + pid + "': " + name + " is not a rocker guard");
            }
            Posix.pidfdSendSignal(pidfd, Posix.SIGKILL, "guard " + name);
            if (!Posix.awaitReadable(pidfd, (int) destroyTimeout.toMillis())) {
                return RockerResult.failure(RockerError.SYS, "guard " + name + " did not end within " + destroyTimeout);
            }
            awaitTeardown(name, record);
            registry.remove(name);
            gone(name);
            LOG.info("rocker {} (guard pid {}) destroyed", name, pid);
            return RockerResult.success(0, pid, name, "rocker " + name + " destroyed");
        } catch (SysException e) {
            return RockerResult.failure(RockerError.SYS, e.getMessage());
        } finally {
            Posix.close(pidfd);
        }
    }

    /** The keeper holds the rocker's mount namespace: once it is gone, so are the mounts and the loop device. */
    private void awaitTeardown(String name, RockerRecord record) {
        Optional<ExitWatcher.Watched> w = watcher.find(name);
        try {
            if (w.isPresent() && w.get().armed) { // one only expected (its build not done) is not read yet: its keeper is waited for
                w.get().gone.get(destroyTimeout.toMillis(), TimeUnit.MILLISECONDS);
                if (!w.get().adopted()) return; // our child keeper was reaped before "gone"
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("rocker {}: keeper did not end in time", name);
            return;
        }
        if (record == null || record.keeperPid <= 0) return;
        try {
            int fd = Posix.pidfdOpen(record.keeperPid);
            try {
                if (ProcStat.read(record.keeperPid).map(s -> s.name.equals("rocker-keeper")).orElse(false)) {
                    Posix.awaitReadable(fd, (int) destroyTimeout.toMillis());
                }
            } finally {
                Posix.close(fd);
            }
        } catch (SysException e) {
            // already gone
        }
        Keepers.reapIfOurs(record.keeperPid);
    }

    private static boolean isPidOneOfItsNamespace(int pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(pid), "status"))) {
                if (line.startsWith("NSpid:")) {
                    String[] ids = line.substring(6).trim().split("\\s+");
                    return ids.length > 1 && ids[ids.length - 1].equals("1");
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    @Override
    public List<RockerInfo> list() {
        List<RockerInfo> out = new ArrayList<>();
        for (RockerRecord r : registry.live()) {
            out.add(r.toInfo(cgroups.stats(r.name).orElse(null)));
        }
        return out;
    }

    /** The live rocker {@code guardName} without its figures: its record alone, not the registry's every one. */
    @Override
    public Optional<RockerInfo> find(String guardName) {
        if (guardName == null) return Optional.empty();
        return registry.find(guardName).map(RockerRecord::toInfo);
    }

    /** {@link #list()} without the figures: no rocker's cgroups are read. */
    @Override
    public List<RockerInfo> listWithoutStats() {
        List<RockerInfo> out = new ArrayList<>();
        for (RockerRecord r : registry.live()) {
            out.add(r.toInfo());
        }
        return out;
    }

    /** {@link #listWithoutStats()} of the rockers whose app runs as {@code uid}: only their guards are checked for life. */
    @Override
    public List<RockerInfo> listOfUid(int uid) {
        List<RockerInfo> out = new ArrayList<>();
        for (RockerRecord r : registry.live(r -> r.request.uid() == uid)) {
            out.add(r.toInfo());
        }
        return out;
    }

    /** What the live rocker {@code guardName} uses now, from its cgroups (also one an earlier engine made). */
    @Override
    public Optional<RockerStats> stats(String guardName) {
        if (registry.find(guardName).isEmpty()) return Optional.empty();
        return cgroups.stats(guardName);
    }

    /** The cgroup parent of this engine's rockers. */
    String cgroupParent() {
        return cgroups.parent;
    }

    /**
     * The watched app's exit of rocker {@code guardName}; a {@link RockerException} when there is none to
     * observe (unknown rocker, an entered one, one made by an older Rocker).
     */
    private java.util.concurrent.CompletableFuture<Integer> appExit(String guardName) {
        // the common case first, from memory: a rocker this engine built or adopted, and watches (it knows
        // which of those were entered); others are looked up in the registry (another engine's, or gone)
        Optional<ExitWatcher.Watched> mine = guardName == null || entered.contains(guardName) ? Optional.empty() : watcher.find(guardName);
        if (mine.isPresent()) return mine.get().appExit;
        if (registry.find(guardName).filter(r -> r.state == RockerRecord.State.ENTERED).isPresent()) {
            throw new RockerException(RockerError.SYS, "rocker " + guardName + ": its app was started by its caller "
                    + "(ROCKER_enter_rocker), whose child it is: its exit status is the caller's to read (waitpid)");
        }
        Optional<ExitWatcher.Watched> w = watcher.find(guardName);
        if (w.isEmpty()) {
            if (registry.find(guardName).isPresent()) {
                throw new RockerException(RockerError.SYS, "rocker " + guardName
                        + ": its app's exit status cannot be observed (its guard has no status socket: made by an older Rocker)");
            }
            throw new RockerException(RockerError.PARAM_INVALID, "guard_name '" + guardName + "': no such rocker");
        }
        return w.get().appExit;
    }

    /**
     * Completes on the watcher's thread when the guard reports the app's end; never polls. The stage is a
     * {@link java.util.concurrent.CompletableFuture}: cancelling it unsubscribes (the server does, for
     * the watches of a connection that closed).
     */
    @Override
    public java.util.concurrent.CompletionStage<Integer> onAppExit(String guardName) {
        try {
            appExit(guardName); // the errors of waitForApp
        } catch (RockerException e) {
            return java.util.concurrent.CompletableFuture.failedStage(e);
        }
        ExitWatcher.Watched w = watcher.find(guardName).orElse(null);
        if (w == null) {
            return java.util.concurrent.CompletableFuture.failedStage(new RockerException(RockerError.PARAM_INVALID,
                    "guard_name '" + guardName + "': no such rocker"));
        }
        java.util.concurrent.CompletableFuture<Integer> out = new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.CompletableFuture<Integer> sub = w.subscribe();
        out.whenComplete((code, e) -> {
            if (out.isCancelled()) sub.cancel(false); // unsubscribed: the watcher keeps nothing of it
        });
        sub.whenComplete((code, e) -> {
            if (e == null) {
                out.complete(code);
            } else {
                out.completeExceptionally(e instanceof RockerException ? e
                        : new RockerException(RockerError.SYS, "rocker " + guardName + ": " + e.getMessage()));
            }
        });
        return out;
    }

    @Override
    public OptionalInt waitForApp(String guardName, Duration timeout) {
        java.util.concurrent.CompletableFuture<Integer> exit = appExit(guardName);
        try {
            return OptionalInt.of(exit.get(Math.max(0, timeout.toMillis()), TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
            return OptionalInt.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalInt.empty();
        } catch (ExecutionException e) {
            throw new RockerException(RockerError.SYS, "rocker " + guardName + ": " + e.getCause().getMessage());
        }
    }

    private final java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();

    /** Ends the spares and stops watching; the rockers live on (seed semantics) and a new engine adopts them. Once. */
    @Override
    public void close() {
        // once: a second close would write to and close descriptor numbers that may name other files by then
        if (!closing.compareAndSet(false, true)) return;
        // every step runs, also after one failed (a close is not repeated); the first failure is thrown at the end
        RuntimeException[] first = {null};
        java.util.function.Consumer<Runnable> step = r -> {
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.warn("closing the engine: {}", e.toString());
                if (first[0] == null) first[0] = e;
            }
        };
        step.accept(() -> new ArrayList<>(prepared.keySet()).forEach(this::abandon));
        step.accept(() -> Posix.writeByte(stopPumps[1]));
        step.accept(pool::close);
        // the shared mounts nobody uses go now only if no other engine lives on this state dir (else they are its);
        // the last one holds the presence file exclusively while it releases them (an engine starting waits)
        boolean last = false;
        try {
            last = lastEngine();
            boolean l = last;
            step.accept(() -> images.close(l));
        } finally {
            if (presence != null) presence.close();
        }
        step.accept(mounts::close);
        step.accept(hostMounts::close);
        RockerRecord.LIVE_ENGINES.remove(engineId);
        step.accept(watcher::close);
        step.accept(() -> cgroups.removeBusy(true)); // a rocker's that still had a process ending when it was removed
        // the parent is shared: only the last engine removes it (a build of another one makes it again if need be)
        if (last) step.accept(cgroups::removeParentIfEmpty);
        synchronized (this) {
            Posix.close(locksDir);
            locksDir = -1;
            Posix.close(copiesDir);
            copiesDir = -1;
        }
        joinPumps();
        if (first[0] != null) throw first[0];
    }

    /** How often a serving engine checks the image holders with no end seen (then their grace begins). */
    static final long HOLDERS_AGAIN_MILLIS = 30_000;

    /** Whether the look every {@link #HOLDERS_AGAIN_MILLIS} is this engine's to make (a serving one's). */
    private volatile boolean lookAgain;

    private void holdersAgain() {
        ImageHolders h = images; // null while the constructor runs
        if (h != null && lookAgain) h.changed();
    }

    /**
     * Whether this engine serves one command only (the launcher's {@code --local} commands, configuration
     * {@code oneShot}): such an engine leaves the image holders whose end it did not see to the serving
     * engines, which look at them every {@link #HOLDERS_AGAIN_MILLIS} (docs/engine.md, "Shared image
     * mounts"): its image grace is not theirs. Until set: one-shot when it keeps no spare guards.
     */
    public void oneShot(boolean oneShot) {
        lookAgain = !oneShot;
    }

    /**
     * This engine's presence on its state dir, or null when it cannot be had (then it never counts as the
     * last at its close: the holders it leaves are the next engine's).
     */
    private static EnginePresence presence(Path stateDir) {
        try {
            return new EnginePresence(stateDir, EnginePresence.PATIENCE);
        } catch (RuntimeException e) {
            LOG.warn("cannot mark this engine present on {}: {}", stateDir, e.toString());
            return null;
        }
    }

    /** Whether no other engine lives on the state dir ({@link EnginePresence#last}); false when that cannot be told. */
    private boolean lastEngine() {
        try {
            return presence != null && presence.last();
        } catch (RuntimeException e) {
            LOG.warn("cannot tell whether another engine lives on {}: {}", stateDir, e.toString());
            return false;
        }
    }

    private void joinPumps() {
        for (Thread t : pumps) {
            try {
                t.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (pumps.stream().noneMatch(Thread::isAlive)) {
            Posix.close(stopPumps[0]);
            Posix.close(stopPumps[1]);
        }
    }
}
