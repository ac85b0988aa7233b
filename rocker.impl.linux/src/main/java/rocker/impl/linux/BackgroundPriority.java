package rocker.impl.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

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
 * engine without it lowers nothing ({@link #ENABLED}), so that no rocker or app is ever left lower.
 */
final class BackgroundPriority {
    private static final Logger LOG = LoggerFactory.getLogger(BackgroundPriority.class);
    /** Nice steps below the engine (CFS weight 1024 -> 110: about a tenth of a CPU's share when both want it). */
    static final int STEPS = 10;
    private static final int CAP_SYS_NICE = 23;
    /** Whether the engine may raise a priority back (CAP_SYS_NICE in the effective set of the thread that asks first). */
    static final boolean ENABLED = mayRaise();

    private BackgroundPriority() {
    }

    private static boolean mayRaise() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/thread-self/status"))) {
                if (line.startsWith("CapEff:")) {
                    return (Long.parseUnsignedLong(line.substring(7).trim(), 16) >>> CAP_SYS_NICE & 1) == 1;
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot read the engine's capabilities: {}", e.toString());
        }
        return false;
    }

    /** Lowers the calling thread's priority by {@link #STEPS} (at most to 19); returns the value before, or null when unchanged. */
    static Integer lower(String thread) {
        if (!ENABLED) return null;
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
