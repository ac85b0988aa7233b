package rocker.impl.linux;

import rocker.impl.linux.sys.Posix;
import rocker.impl.linux.sys.SysException;

/** The keeper processes (the guards' parents in the host pid namespace) that this JVM must reap. */
final class Keepers {
    private Keepers() {
    }

    /** Reaps {@code pid} if it is an ended child of this JVM; anything else is left alone. */
    static void reapIfOurs(int pid) {
        if (pid <= 0) return;
        try {
            Posix.waitpid(pid, Posix.WNOHANG);
        } catch (SysException e) {
            // ECHILD: not ours (made by an earlier JVM) - its parent, init, reaps it
        }
    }

    /** Waits for our child keeper {@code pid} to end; it ends as soon as its guard is gone. */
    static void reap(int pid) {
        if (pid <= 0) return;
        try {
            Posix.waitpid(pid, 0);
        } catch (SysException e) {
            // not ours
        }
    }
}
