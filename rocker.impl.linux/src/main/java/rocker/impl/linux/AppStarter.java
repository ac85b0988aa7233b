package rocker.impl.linux;

import java.util.List;

import rocker.api.RockerApp;
import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.api.RockerRequest;
import rocker.impl.linux.sys.Posix;

/**
 * Asks a guard to start the app ("X" request: the rocker's name and hostname, the command, the system
 * call filter, and the app's stdio as SCM_RIGHTS) and learns in one answer that the app runs and its host
 * pid: the guard's "A" carries the app's credentials, which the kernel translates into our pid namespace.
 */
final class AppStarter {
    /** Apps whose process the guard forked ahead of need ("H t"), counted for tests. */
    static final java.util.concurrent.atomic.AtomicInteger FORKED_AHEAD = new java.util.concurrent.atomic.AtomicInteger();

    private AppStarter() {
    }

    /** Starts the app with {@code stdio} in the rocker {@code name}; returns the app's pid as seen from the host. */
    static int start(GuardProcess guard, String name, RockerRequest request, RockerApp app, int[] stdio) {
        return start(guard, name, request, app, stdio, new int[0], false);
    }

    /**
     * {@code drains}: the read ends of the streamed pipes, which the guard drains once the engine is gone.
     * With {@code logsAsApp} (a user's rocker) the guard writes and rotates the bounded logs with the app's
     * file credentials and without CAP_SYS_RESOURCE, so the user's disk quota and the file system's
     * reserve for root hold against them.
     */
    static int start(GuardProcess guard, String name, RockerRequest request, RockerApp app, int[] stdio, int[] drains,
            boolean logsAsApp) {
        // a profile file is read (and refused) before anything is sent
        SeccompProfile profile = isProfile(request.seccomp()) ? SeccompProfile.read(request.seccomp()) : null;
        List<String> seccomp = profile != null ? profile.fields() : SeccompProfile.fields(request.seccomp());
        if (drains.length > 0) Posix.send(guard.control, GuardMessage.drain(), drains);
        Posix.send(guard.control, GuardMessage.exec(name, request, app, seccomp, logsAsApp), stdio);
        for (;;) {
            GuardMessage m = GuardProcess.next(guard.control, "the guard");
            if (m.kind.equals(GuardMessage.APP)) {
                int appPid = m.senderPid; // the app's credentials, translated by the kernel into our pid namespace
                if (m.says(2, "1")) FORKED_AHEAD.incrementAndGet();
                if (appPid <= 0 || appPid == guard.guardPid) {
                    throw new RockerException(RockerError.ENTER_ROCKER_FAILED, "the app's pid was not reported");
                }
                return appPid;
            } else if (m.isFailure()) {
                if (m.step() == GuardStep.SECCOMP_NAME && profile != null) {
                    throw unknownName(profile, m.number(2));
                }
                throw m.failure("the app", detail(m.step(), request, app));
            } else {
                throw new RockerException(RockerError.ENTER_ROCKER_FAILED, "the guard sent '" + m.kind + "'");
            }
        }
    }

    private static boolean isProfile(String seccomp) {
        return seccomp != null && !seccomp.equals(RockerRequest.SECCOMP_UNCONFINED);
    }

    /** The guard knows no such call, on its architecture or any other it knows the names of. */
    private static RockerException unknownName(SeccompProfile profile, int index) {
        if (index < 0 || index >= profile.rules.size()) {
            return SeccompProfile.invalid(profile.path, "the guard refused rule line " + index);
        }
        SeccompProfile.Rule r = profile.rules.get(index);
        return SeccompProfile.invalid(profile.path, "rule " + r.rule + ": '" + r.name + "' is not a system call Rocker knows");
    }

    private static String detail(GuardStep step, RockerRequest r, RockerApp app) {
        switch (step) {
            case EXEC: return "'" + app.command().get(0) + "'";
            case CHDIR: return workDir(r, app);
            case UID: return Integer.toString(r.uid());
            case GID: return Integer.toString(r.gid());
            default: return null;
        }
    }

    private static String workDir(RockerRequest r, RockerApp app) {
        return app.workDir() == null ? r.execDir() : app.workDir();
    }

}
