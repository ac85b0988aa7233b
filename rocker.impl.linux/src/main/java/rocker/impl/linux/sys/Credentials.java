package rocker.impl.linux.sys;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import jnr.ffi.Pointer;

/**
 * Runs file calls with a user's credentials. The kernel keeps credentials per thread, but glibc's
 * set*id() broadcast to every thread of the process (fatal in a JVM): this switches only a fresh
 * thread of its own, with setfsuid/setfsgid and the raw setgroups system call, checks that the
 * switch took, runs the work, switches back, and lets the thread end. With fsuid not 0 the kernel
 * also drops that thread's file capabilities (DAC override, owner...), so every check is the user's.
 */
public final class Credentials {
    private Credentials() {
    }

    /** {@code work()} on a thread of its own with fsuid {@code uid}, fsgid {@code gid} and {@code groups}. */
    public static <T> T as(int uid, int gid, List<Integer> groups, Supplier<T> work) {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                result.set(onThisThread(uid, gid, groups, work));
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "rocker-as-uid-" + uid);
        t.setDaemon(true);
        t.start();
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // the work has its own bounds (no blocking opens)
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        Throwable e = failure.get();
        if (e instanceof RuntimeException) throw (RuntimeException) e;
        if (e instanceof Error) throw (Error) e;
        return result.get();
    }

    /**
     * {@code work()} on the calling thread with the user's file credentials, then back to root's. Only
     * for a thread that is thrown away afterwards (the mount thread): should switching back fail, it
     * must not serve anyone else.
     */
    /**
     * Throws unless this thread's file credentials are root's and its effective capabilities its permitted
     * ones (a thread that switched with {@link #onThisThread} and came back): fsuid and fsgid 0.
     */
    public static void checkRoot(String who) {
        int fsuid = Native.file().setfsuid(-1);
        int fsgid = Native.file().setfsgid(-1);
        int[] caps = capget();
        if (fsuid != 0 || fsgid != 0 || caps[0] != caps[1] || caps[3] != caps[4]) {
            throw new SysException("check the credentials of", who + " (fsuid " + fsuid + ", fsgid " + fsgid + ")", Errno.EPERM);
        }
    }

    public static <T> T onThisThread(int uid, int gid, List<Integer> groups, Supplier<T> work) {
        int[] caps = capget();
        try {
            switchTo(uid, gid, groups);
            // the capabilities that a non-zero fsuid leaves (CAP_SYS_PTRACE, CAP_SYS_ADMIN...) would still pass
            // the kernel's checks of /proc/PID/root, cwd, fd, maps of any process: none are effective here
            capset(new int[] {0, caps[1], caps[2], 0, caps[4], caps[5]});
            return work.get();
        } finally {
            capset(caps); // within the permitted set: always allowed; needed to switch back
            Native.file().setfsuid(0);
            Native.file().setfsgid(0);
            setgroups(List.of());
        }
    }

    private static final int CAPABILITY_VERSION_3 = 0x20080522;

    /** This thread's capability sets: effective, permitted, inheritable for the low and the high 32 bits. */
    private static int[] capget() {
        Pointer header = Scratch.get(Scratch.STRUCT, 8 + 24);
        header.putInt(0, CAPABILITY_VERSION_3);
        header.putInt(4, 0);
        if (Native.syscalls().syscall(Arch.CURRENT.sysCapget, header.address(), header.address() + 8, 0, 0, 0, 0) < 0) {
            throw new SysException("capget", "this thread", Native.errno());
        }
        int[] caps = new int[6];
        for (int i = 0; i < 6; i++) caps[i] = header.getInt(8 + 4L * i);
        return caps;
    }

    /** Sets this thread's capability sets (the kernel's capset(2) is per thread). */
    private static void capset(int[] caps) {
        Pointer header = Scratch.get(Scratch.STRUCT, 8 + 24);
        header.putInt(0, CAPABILITY_VERSION_3);
        header.putInt(4, 0);
        for (int i = 0; i < 6; i++) header.putInt(8 + 4L * i, caps[i]);
        if (Native.syscalls().syscall(Arch.CURRENT.sysCapset, header.address(), header.address() + 8, 0, 0, 0, 0) < 0) {
            throw new SysException("capset", "this thread", Native.errno());
        }
    }

    private static void switchTo(int uid, int gid, List<Integer> groups) {
        setgroups(groups);
        Native.file().setfsgid(gid);
        if (Native.file().setfsgid(-1) != gid) throw new SysException("setfsgid", Integer.toString(gid), Errno.EPERM);
        Native.file().setfsuid(uid);
        if (Native.file().setfsuid(-1) != uid) throw new SysException("setfsuid", Integer.toString(uid), Errno.EPERM);
    }

    private static void setgroups(List<Integer> groups) {
        Pointer list = Scratch.get(Scratch.SMALL, 4L * Math.max(1, groups.size()));
        for (int i = 0; i < groups.size(); i++) {
            list.putInt(4L * i, groups.get(i));
        }
        long r = Native.syscalls().syscall(Arch.CURRENT.sysSetgroups, groups.size(), list.address(), 0, 0, 0, 0);
        if (r < 0) throw new SysException("setgroups", groups.toString(), Native.errno());
    }
}
