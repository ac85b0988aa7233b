package rocker.impl.linux;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import rocker.impl.linux.sys.Posix;
import rocker.impl.linux.sys.SysException;

/**
 * The nice value of the engine's background threads that spawn processes ahead of need (the spare guards'
 * refill, the image holders' thread): {@value #STEPS} above the engine's, inherited by the keepers and guards
 * they spawn, so that on a gateway's few CPUs making spares gives way to the starts and apps running
 * meanwhile. A spare taken by a request gets the requester's value back ({@link GuardPool}); a mount plan
 * runs at its caller's ({@link MountInterpreter}).
 */
final class BackgroundPriority {
    private static final Logger LOG = LoggerFactory.getLogger(BackgroundPriority.class);
    /** Nice steps below the engine (CFS weight 1024 -> 110: about a tenth of a CPU's share when both want it). */
    static final int STEPS = 10;

    private BackgroundPriority() {
    }

    /** Lowers the calling thread's priority by {@link #STEPS} (at most to 19); best effort. */
    static void lower(String thread) {
        try {
            Posix.setNice(0, Math.min(19, Posix.threadNice() + STEPS), thread);
        } catch (SysException e) {
            LOG.debug("{} runs at the engine's priority: {}", thread, e.getMessage());
        }
    }

    /** A runnable that lowers its thread's priority before {@code r} (for a thread factory). */
    static Runnable lowered(String thread, Runnable r) {
        return () -> {
            lower(thread);
            r.run();
        };
    }
}
