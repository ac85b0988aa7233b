package rocker.impl.linux;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import rocker.impl.linux.sys.Posix;
import rocker.impl.linux.sys.SysException;

/**
 * The nice value of the engine's background work that spawns processes ahead of need (the spare guards'
 * refill thread, a spare image holder's spawn): {@value #STEPS} above the engine's, inherited by the keepers
 * and guards it spawns, so that on a gateway's few CPUs making spares gives way to the starts and apps
 * running meanwhile. A spare taken by a request gets the requester's value back ({@link GuardPool}); a mount
 * plan runs at its caller's ({@link MountInterpreter}). Raising a value back needs {@code CAP_SYS_NICE}: an
 * engine that cannot (tried once on a thread of its own) lowers nothing, so that no rocker or app is ever
 * left lower; one that finds out later stops lowering ({@link #turnOff}).
 */
final class BackgroundPriority {
    private static final Logger LOG = LoggerFactory.getLogger(BackgroundPriority.class);
    /** Nice steps below the engine (CFS weight 1024 -> 110: about a tenth of a CPU's share when both want it). */
    static final int STEPS = 10;
    /** Set when raising a spare's value back failed after all: from then on nothing is lowered. */
    private static volatile boolean off;

    private BackgroundPriority() {
    }

    /** Whether background work is lowered now. */
    static boolean enabled() {
        return !off && Raising.MAY;
    }

    /** Whether the engine may raise a priority back: tried once, when first asked, on a thread of its own (an LSM can deny it). */
    private static final class Raising {
        static final boolean MAY = mayRaise();
    }

    /** Raising a value back was refused (an LSM, a changed policy): nothing is lowered from now on. */
    static void turnOff(String why) {
        if (off) return;
        off = true;
        LOG.warn("spares are made at the engine's priority from now on: {}", why);
    }

    /** A thread that lowers its own value by one step and raises it back; whether both worked. */
    private static boolean mayRaise() {
        Probe p = new Probe();
        Thread t = new Thread(p, "rocker-nice-probe");
        t.setDaemon(true);
        t.start();
        try {
            t.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (p.failure != null) LOG.info("spares are made at the engine's priority: it cannot raise a thread's back ({})", p.failure);
        return p.raised;
    }

    /** The probe (a class of its own: it must not wait for the initialization of the class that waits for it). */
    private static final class Probe implements Runnable {
        volatile boolean raised;
        volatile String failure;

        @Override
        public void run() {
            try {
                int n = Posix.threadNice();
                if (n >= 19) return;
                Posix.setNice(0, n + 1, "a probe thread");
                Posix.setNice(0, n, "a probe thread");
                raised = true;
            } catch (SysException e) {
                failure = e.getMessage();
            }
        }
    }

    /** Lowers the calling thread's priority by {@link #STEPS} (at most to 19); returns the value before, or null when unchanged. */
    static Integer lower(String thread) {
        if (!enabled()) return null;
        try {
            int before = Posix.threadNice();
            Posix.setNice(0, Math.min(19, before + STEPS), thread);
            return before;
        } catch (SysException e) {
            LOG.debug("{} runs at the engine's priority: {}", thread, e.getMessage());
            return null;
        }
    }

    /** A runnable that lowers its thread's priority for good before {@code r} (for a thread that does nothing else). */
    static Runnable lowered(String thread, Runnable r) {
        return () -> {
            lower(thread);
            r.run();
        };
    }

    /** Runs {@code r} on the calling thread lowered, and gives the thread its value back after. */
    static void whileLowered(String what, Runnable r) {
        Integer before = lower(what);
        try {
            r.run();
        } finally {
            if (before != null) {
                try {
                    Posix.setNice(0, before, what);
                } catch (SysException e) {
                    LOG.warn("{}: its thread stays {} nice steps lower: {}", what, STEPS, e.getMessage());
                }
            }
        }
    }
}
