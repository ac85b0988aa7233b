package rocker.impl.linux;

import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.impl.linux.sys.Errno;

/**
 * The steps of rocker-guard.c, by the names the guard sends ({@code step_names}: the constant's name in
 * lower case), the error code each maps to, and their text.
 */
enum GuardStep {
    NONE("(none)", RockerError.UNKNOWN),
    ARGS("check its arguments", RockerError.BUILD_ROCKER_FAILED),
    UNSHARE("create the namespaces", RockerError.BUILD_ROCKER_FAILED),
    PRIVATE("make the mount tree private", RockerError.BUILD_ROCKER_FAILED),
    FORK("fork the guard", RockerError.BUILD_ROCKER_FAILED),
    NAME("set the guard's name", RockerError.BUILD_ROCKER_FAILED),
    HOSTNAME("set the hostname", RockerError.BUILD_ROCKER_FAILED),
    PROC("mount /proc", RockerError.BUILD_ROCKER_FAILED),
    LOOPBACK("bring up the loopback interface", RockerError.BUILD_ROCKER_FAILED),
    SIGNALS("set up its signals", RockerError.BUILD_ROCKER_FAILED),
    RECV("receive the request", RockerError.ENTER_ROCKER_FAILED),
    REQUEST("read the app request", RockerError.ENTER_ROCKER_FAILED),
    PIPE("create a pipe", RockerError.ENTER_ROCKER_FAILED),
    FORK_APP("fork the app", RockerError.ENTER_ROCKER_FAILED),
    SETSID("start a session", RockerError.ENTER_ROCKER_FAILED),
    USERNS("create the user namespace", RockerError.ENTER_ROCKER_FAILED),
    IDMAP("map uid and gid in the user namespace", RockerError.ENTER_ROCKER_FAILED),
    GROUPS("set the supplementary groups", RockerError.ENTER_ROCKER_FAILED),
    GID("set the gid", RockerError.ENTER_ROCKER_FAILED),
    UID("set the uid", RockerError.ENTER_ROCKER_FAILED),
    CAPS("drop capabilities", RockerError.ENTER_ROCKER_FAILED),
    NNP("set no_new_privs", RockerError.ENTER_ROCKER_FAILED),
    CHDIR("change to the working dir", RockerError.ENTER_ROCKER_FAILED),
    EXEC("execute the command", RockerError.APP_EXEC_FAILED),
    REPORT("report the app's pid", RockerError.ENTER_ROCKER_FAILED),
    PROC_RO("make /proc/sys, /proc/sysrq-trigger and the like read-only", RockerError.BUILD_ROCKER_FAILED),
    PROC_NULL("open /dev/null, the null device that masks /proc/kcore and the like", RockerError.BUILD_ROCKER_FAILED),
    PROC_MASK("mask /proc/kcore, /proc/acpi and the like", RockerError.BUILD_ROCKER_FAILED),
    MQUEUE("mount the rocker's mqueue on /dev/mqueue", RockerError.BUILD_ROCKER_FAILED),
    SECCOMP("install the system call filter", RockerError.ENTER_ROCKER_FAILED),
    /** The guard does not know a name of the profile: its "errno" is the index of that name's rule line. */
    SECCOMP_NAME("map the profile's system call names", RockerError.PARAM_INVALID),
    LOG("set up the app's bounded logs", RockerError.ENTER_ROCKER_FAILED),
    OOM("reset the app's OOM score", RockerError.ENTER_ROCKER_FAILED);

    final String text;
    final RockerError error;

    GuardStep(String text, RockerError error) {
        this.text = text;
        this.error = error;
    }

    /** The name on the wire and in ROCKER_GUARD_FAULT. */
    String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The step the guard named; {@link #NONE} for a name this engine does not know. */
    static GuardStep named(String wire) {
        for (GuardStep s : values()) {
            if (s != NONE && s.wireName().equals(wire)) return s;
        }
        return NONE;
    }

    /** The failure the guard reported for this step with {@code errno}, as an exception. */
    RockerException failure(String who, int errno, String detail) {
        return new RockerException(error, who + " could not " + text + (detail == null ? "" : " " + detail)
                + ": " + Errno.describe(errno));
    }
}
