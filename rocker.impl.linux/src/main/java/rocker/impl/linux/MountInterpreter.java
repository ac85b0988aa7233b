package rocker.impl.linux;

import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.impl.linux.sys.Credentials;
import rocker.impl.linux.sys.Posix;
import rocker.impl.linux.sys.SysException;

/**
 * Applies a {@link MountPlan} inside a guard's mount namespace. The work runs on a mount worker: a thread
 * of a small pool that unshared its filesystem context ({@code CLONE_FS}) when it started, joins the
 * guard's mount namespace with {@code setns} for one plan and returns to the engine's namespace right
 * after it ({@code setns} on the descriptor of the engine's own namespace, opened once): the rest of the
 * JVM never sees those mounts, and no worker holds a reference to a rocker's namespace between plans. A
 * worker that cannot return ends instead of serving another plan. Workers create no thread and end after
 * {@value #IDLE_SECONDS} s without work. (A thread per plan cost a start about 1 ms: thread creation,
 * scheduling and join on a busy machine.)
 */
final class MountInterpreter implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(MountInterpreter.class);
    static final int IDLE_SECONDS = 5;
    /** A worker's name between plans; during one it is {@code rocker-mount-NAME}. */
    static final String IDLE_NAME = "rocker-mounter";

    /** An engine's mount workers (none is started before the first plan). */
    MountInterpreter() {
    }

    /**
     * The classes the mount thread may need, loaded before it joins the rocker's namespace: there a
     * class file looked up by path (a class dir under /tmp in a test run; bundle jars are read through
     * descriptors Felix holds open) would be searched in the rocker's private /tmp, or not at all.
     */
    private static final String[] PRELOAD = {
        "rocker.api.RockerException", "rocker.api.RockerError", "rocker.api.SharedDir", "rocker.impl.linux.ProcStat",
        "rocker.impl.linux.SpareMounts",
        "rocker.impl.linux.BindMount", "rocker.impl.linux.DataDir", "rocker.impl.linux.DataDirLock",
        "rocker.impl.linux.GuardMessage", "rocker.impl.linux.LockFiles", "rocker.impl.linux.LockFiles$Lock",
        "rocker.impl.linux.DevDir", "rocker.impl.linux.ExecDir", "rocker.impl.linux.ImagePrefetch",
        "rocker.impl.linux.HideDir", "rocker.impl.linux.HostPaths", "rocker.impl.linux.HostPaths$Opened",
        "rocker.impl.linux.ImageMount", "rocker.impl.linux.ImageHolders$Lease", "rocker.impl.linux.LoopDevice", "rocker.impl.linux.OverlayMount",
        "rocker.impl.linux.PrivateDir", "rocker.impl.linux.ReadOnlyFile", "rocker.impl.linux.ReadOnlyHost",
        "rocker.impl.linux.ReadOnlyHost$Entry", "rocker.impl.linux.ReadOnlyHost$Noted", "rocker.impl.linux.RootWalk", "rocker.impl.linux.ShareMount",
        "rocker.impl.linux.sys.Arch", "rocker.impl.linux.sys.Credentials", "rocker.impl.linux.sys.Errno",
        "rocker.impl.linux.sys.Fd", "rocker.impl.linux.sys.Loop", "rocker.impl.linux.sys.LoopConfig",
        "rocker.impl.linux.sys.LoopInfo64", "rocker.impl.linux.sys.MountApi",
        "rocker.impl.linux.sys.Posix", "rocker.impl.linux.sys.Scratch", "rocker.impl.linux.sys.Stat",
        "rocker.impl.linux.sys.SysException", "rocker.impl.linux.sys.ControlMessages",
        "rocker.impl.linux.sys.Interrupted", "rocker.impl.linux.sys.IoVec", "rocker.impl.linux.sys.MsgHdr",
    };

    static {
        for (String name : PRELOAD) {
            try {
                Class.forName(name, true, MountInterpreter.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new ExceptionInInitializerError("the mount thread's class " + name + " is missing: " + e);
            }
        }
    }

    /** The engine's own mount namespace (the JVM's), where every worker returns after a plan; opened by the first plan's caller. */
    private int hostNamespace = -1;
    private boolean closed;

    private synchronized int hostNamespace() {
        if (closed) throw new RockerException(RockerError.SYS, "the engine is closed");
        if (hostNamespace < 0) hostNamespace = Posix.open("/proc/self/ns/mnt", Posix.O_RDONLY, 0);
        return hostNamespace;
    }

    /** Whether this worker thread has a filesystem context of its own (unshared once, when it took its first plan). */
    private static final ThreadLocal<Boolean> OWN_FS = ThreadLocal.withInitial(() -> false);

    private java.util.concurrent.ThreadPoolExecutor workers = newPool();

    private static java.util.concurrent.ThreadPoolExecutor newPool() {
        return new java.util.concurrent.ThreadPoolExecutor(0, Integer.MAX_VALUE, IDLE_SECONDS, java.util.concurrent.TimeUnit.SECONDS,
                new java.util.concurrent.SynchronousQueue<>(), task -> {
                    Thread t = new Thread(task, IDLE_NAME);
                    t.setDaemon(true);
                    t.setUncaughtExceptionHandler((thread, e) -> LOG.warn("a mount worker ended: {}", e.getMessage()));
                    return t;
                });
    }

    /** A pool with a worker that could not come back: no new plan goes to it, and it makes no thread again. */
    private synchronized void retire(java.util.concurrent.ThreadPoolExecutor pool) {
        pool.shutdown();
        if (workers == pool && !closed) workers = newPool();
    }

    /** Lets the plans under way finish (10 s at most), ends the workers and closes the namespace's descriptor. */
    @Override
    public void close() {
        java.util.concurrent.ThreadPoolExecutor pool;
        synchronized (this) {
            closed = true;
            pool = workers;
        }
        pool.shutdown();
        boolean ended = false;
        try {
            ended = pool.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            // a plan still under way (a data dir on a hung file system) returns through this descriptor: it is
            // left open then, never closed under it (its number could name something else by then)
            if (ended) Posix.close(hostNamespace);
            hostNamespace = -1;
        }
    }

    /** Applies {@code ops} in the mount namespace of {@code guardPid} (a rocker's, or an image holder's). */
    void run(String rocker, int guardPid, java.util.List<MountOp> ops) {
        run(rocker, guardPid, -1, ops);
    }

    /**
     * {@link #run}, in the namespace of the process {@code guardPid} only while it has the start time
     * {@code guardStart} (checked once its namespace is pinned: the pid may be another process's by now);
     * -1: not checked (the caller holds the guard's control socket, so the guard lives).
     */
    void run(String rocker, int guardPid, long guardStart, java.util.List<MountOp> ops) {
        await(start(rocker, guardPid, guardStart, ops));
    }

    /** {@link #run} without waiting: the plan runs on a worker while the caller goes on; {@link #await} its end. */
    java.util.concurrent.CompletableFuture<Void> start(String rocker, int guardPid, long guardStart, java.util.List<MountOp> ops) {
        int host = hostNamespace();
        java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.ThreadPoolExecutor pool;
        synchronized (this) {
            pool = workers;
        }
        try {
            pool.execute(() -> onWorker(rocker, guardPid, guardStart, ops, host, done, pool));
        } catch (java.util.concurrent.RejectedExecutionException | OutOfMemoryError e) {
            throw new RockerException(RockerError.BUILD_ROCKER_FAILED, "no mount worker could be started: " + e, e);
        }
        return done;
    }

    /** Waits for a plan {@link #start}ed (also when interrupted: the mounts must finish or fail before we go on); throws its failure. */
    static void await(java.util.concurrent.CompletableFuture<Void> done) {
        boolean interrupted = false;
        Throwable failure;
        while (true) {
            try {
                done.get();
                failure = null;
                break;
            } catch (InterruptedException e) {
                interrupted = true; // the mounts must finish or fail before we go on
            } catch (java.util.concurrent.ExecutionException e) {
                failure = e.getCause();
                break;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        if (failure instanceof RuntimeException) throw (RuntimeException) failure;
        if (failure != null) {
            throw new RockerException(RockerError.BUILD_ROCKER_FAILED, "the mount thread failed: " + failure, failure);
        }
    }

    /** One plan on a worker; the worker ends (throws) when it cannot return to the engine's namespace. */
    private void onWorker(String rocker, int guardPid, long guardStart, java.util.List<MountOp> ops, int host,
            java.util.concurrent.CompletableFuture<Void> done, java.util.concurrent.ThreadPoolExecutor pool) {
        Thread me = Thread.currentThread();
        me.setName("rocker-mount-" + rocker);
        Throwable failure = null;
        boolean entered = false;
        try {
            if (!OWN_FS.get()) {
                Posix.unshare(Posix.CLONE_FS, "(the mount worker's filesystem context)");
                // its own now, and 022 whatever the JVM's is: a dir made with a default mode (a root client's
                // missing data-dir parents, made 0755) is root 0755, never wider;
                // exact modes are set with fchmod on the opened dirs
                Posix.umask(022);
                OWN_FS.set(true);
            }
            Credentials.checkRoot("the mount worker, before a plan"); // a plan never inherits the last one's credentials
            enter(guardPid, guardStart);
            entered = true;
            apply(ops);
        } catch (SysException e) {
            failure = new RockerException(RockerError.BUILD_ROCKER_FAILED, "cannot enter the rocker's mount namespace: "
                    + e.getMessage(), e);
        } catch (Throwable e) { // anything, even an Error, means the plan did not complete
            failure = e;
        }
        RuntimeException stuck = null;
        if (entered) {
            try {
                // back to the engine's namespace before anyone is told: this thread no longer references the rocker's
                Posix.setns(host, Posix.CLONE_NEWNS, "the engine's mount namespace");
            } catch (RuntimeException e) {
                stuck = e;
            }
        }
        me.setName(IDLE_NAME);
        if (stuck != null) {
            // this worker cannot leave the rocker's namespace: its pool is shut down, so that no thread is ever
            // made from this one (a new thread would share its filesystem context, in the rocker's namespace);
            // the next plan gets a new pool, whose threads its callers make
            retire(pool);
            failure = new RockerException(RockerError.BUILD_ROCKER_FAILED, "the mount worker cannot return to the engine's"
                    + " mount namespace: " + stuck.getMessage(), stuck);
        }
        if (failure == null) done.complete(null);
        else done.completeExceptionally(failure);
        if (stuck != null) throw stuck; // this worker ends (its pool makes no other)
    }

    private static void enter(int guardPid, long guardStart) {
        String ns = "/proc/" + guardPid + "/ns/mnt";
        int nsFd = Posix.open(ns, Posix.O_RDONLY, 0);
        try {
            // the descriptor pins the namespace; if the process still has the start time, it is the guard's
            if (guardStart >= 0 && !ProcStat.live(guardPid).map(s -> s.startTime == guardStart).orElse(false)) {
                throw new RockerException(RockerError.BUILD_ROCKER_FAILED, "guard pid " + guardPid + " is gone");
            }
            Posix.setns(nsFd, Posix.CLONE_NEWNS, ns);
        } finally {
            Posix.close(nsFd);
        }
    }

    private static void apply(java.util.List<MountOp> ops) {
        for (MountOp op : ops) {
            try {
                op.apply();
            } catch (SysException e) {
                throw new RockerException(RockerError.BUILD_ROCKER_FAILED, "cannot " + op.describe() + ": "
                        + e.getMessage() + hint(e), e);
            }
        }
    }

    private static String hint(SysException e) {
        switch (e.errno()) {
            case rocker.impl.linux.sys.Errno.ELOOP:
                return " (the data dir may lie inside an overlaid dir: overlapping layers)";
            case rocker.impl.linux.sys.Errno.EBUSY:
                return " (is the data dir in use by another rocker?)";
            default:
                return "";
        }
    }
}
