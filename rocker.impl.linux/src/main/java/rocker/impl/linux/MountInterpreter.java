package rocker.impl.linux;

import java.util.concurrent.atomic.AtomicReference;

import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.impl.linux.sys.Posix;
import rocker.impl.linux.sys.SysException;

/**
 * Applies a {@link MountPlan} inside a guard's mount namespace. The work runs on a thread of its
 * own that first unshares its filesystem context ({@code CLONE_FS}) and then joins the guard's
 * mount namespace with {@code setns}: the rest of the JVM never sees those mounts. The thread is
 * thrown away afterwards (it ends, so it holds no reference to the namespace) and creates no thread.
 */
final class MountInterpreter {
    private MountInterpreter() {
    }

    /**
     * The classes the mount thread may need, loaded before it joins the rocker's namespace: there a
     * class file looked up by path (a class dir under /tmp in a test run; bundle jars are read through
     * descriptors Felix holds open) would be searched in the rocker's private /tmp, or not at all.
     */
    private static final String[] PRELOAD = {
        "rocker.api.RockerException", "rocker.api.RockerError", "rocker.api.SharedDir",
        "rocker.impl.linux.BindMount", "rocker.impl.linux.DataDir", "rocker.impl.linux.DataDirLock",
        "rocker.impl.linux.GuardMessage", "rocker.impl.linux.LockFiles", "rocker.impl.linux.LockFiles$Lock",
        "rocker.impl.linux.DevDir", "rocker.impl.linux.ExecDir",
        "rocker.impl.linux.HideDir", "rocker.impl.linux.HostPaths", "rocker.impl.linux.HostPaths$Opened",
        "rocker.impl.linux.ImageMount", "rocker.impl.linux.ImageHolders$Lease", "rocker.impl.linux.LoopDevice", "rocker.impl.linux.OverlayMount",
        "rocker.impl.linux.PrivateDir", "rocker.impl.linux.ReadOnlyFile", "rocker.impl.linux.ReadOnlyHost",
        "rocker.impl.linux.ReadOnlyHost$Entry", "rocker.impl.linux.RootWalk", "rocker.impl.linux.ShareMount",
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

    static void run(String rocker, int guardPid, MountPlan plan) {
        run(rocker, guardPid, plan.ops());
    }

    /** Applies {@code ops} in the mount namespace of {@code guardPid} (a rocker's, or an image holder's). */
    static void run(String rocker, int guardPid, java.util.List<MountOp> ops) {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread worker = new Thread(() -> {
            try {
                enterAndApply(guardPid, ops);
            } catch (Throwable e) { // anything, even an Error, means the plan did not complete
                failure.set(e);
            }
        }, "rocker-mount-" + rocker);
        worker.setDaemon(true);
        worker.start();
        boolean interrupted = false;
        while (true) {
            try {
                worker.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // the mounts must finish or fail before we go on
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        Throwable e = failure.get();
        if (e instanceof RuntimeException) throw (RuntimeException) e;
        if (e != null) {
            throw new RockerException(RockerError.BUILD_ROCKER_FAILED, "the mount thread failed: " + e, e);
        }
    }

    private static void enterAndApply(int guardPid, java.util.List<MountOp> ops) {
        String ns = "/proc/" + guardPid + "/ns/mnt";
        int nsFd;
        try {
            nsFd = Posix.open(ns, Posix.O_RDONLY, 0);
            try {
                Posix.unshare(Posix.CLONE_FS, "(the mount thread's filesystem context)");
                Posix.setns(nsFd, Posix.CLONE_NEWNS, ns);
            } finally {
                Posix.close(nsFd);
            }
        } catch (SysException e) {
            throw new RockerException(RockerError.BUILD_ROCKER_FAILED, "cannot enter the rocker's mount namespace: "
                    + e.getMessage(), e);
        }
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
