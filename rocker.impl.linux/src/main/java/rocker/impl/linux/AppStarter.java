package rocker.impl.linux;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import rocker.api.RockerApp;
import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.api.RockerRequest;
import rocker.impl.linux.sys.Posix;

/**
 * Asks a guard to start the app ("X" request: the rocker's name and hostname, the command, the system
 * call filter, and the app's stdio as SCM_RIGHTS) and learns the app's host pid from the app's own message.
 */
final class AppStarter {
    private AppStarter() {
    }

    /** Starts the app with {@code stdio} in the rocker {@code name}; returns the app's pid as seen from the host. */
    static int start(GuardProcess guard, String name, RockerRequest request, RockerApp app, int[] stdio) {
        return start(guard, name, request, app, stdio, false);
    }

    /**
     * With {@code logsAsApp} (a user's rocker) the guard writes and rotates the bounded logs with the app's
     * file credentials and without CAP_SYS_RESOURCE, so the user's disk quota and the file system's
     * reserve for root hold against them.
     */
    static int start(GuardProcess guard, String name, RockerRequest request, RockerApp app, int[] stdio, boolean logsAsApp) {
        // a profile file is read (and refused) before anything is sent
        SeccompProfile profile = isProfile(request.seccomp()) ? SeccompProfile.read(request.seccomp()) : null;
        List<String> seccomp = profile != null ? profile.fields() : SeccompProfile.fields(request.seccomp());
        Posix.send(guard.control, encode(name, request, app, seccomp, logsAsApp), stdio);
        int appPid = 0;
        for (;;) {
            Posix.Datagram d = GuardProcess.next(guard.control, "the guard");
            String[] f = d.fields();
            switch (f[0]) {
                case "C":
                    appPid = d.senderPid; // the kernel's translation into our pid namespace
                    break;
                case "A":
                    if (appPid <= 0) {
                        throw new RockerException(RockerError.ENTER_ROCKER_FAILED, "the app's pid was not reported");
                    }
                    return appPid;
                case "F":
                case "E":
                    if (GuardStep.of(Integer.parseInt(f[1])) == GuardStep.SECCOMP_NAME && profile != null) {
                        throw unknownName(profile, Integer.parseInt(f[2]));
                    }
                    throw GuardStep.failure("the app", Integer.parseInt(f[1]), Integer.parseInt(f[2]),
                            detail(Integer.parseInt(f[1]), request, app));
                default:
                    throw new RockerException(RockerError.ENTER_ROCKER_FAILED, "the guard sent '" + f[0] + "'");
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

    private static String detail(int step, RockerRequest r, RockerApp app) {
        switch (GuardStep.of(step)) {
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

    /**
     * "X" name hostname uid gid userns ngroups groups... cwd argc argv... envc env... seccomp... log_limit
     * log_stdout log_stderr, NUL-separated ({@code seccomp}: {@link SeccompProfile#fields(String)};
     * log_stdout/log_stderr 1: the guard bounds that log to log_limit bytes, {@link AppStdio#bounded}; the
     * log dir then follows the stdio in the SCM_RIGHTS) logs_as_app (1: the guard pumps the logs with the
     * app's file credentials). New fields go at the end.
     */
    static byte[] encode(String name, RockerRequest r, RockerApp app, List<String> seccomp) {
        return encode(name, r, app, seccomp, false);
    }

    static byte[] encode(String name, RockerRequest r, RockerApp app, List<String> seccomp, boolean logsAsApp) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        field(out, "X");
        field(out, name);
        field(out, r.hostname() == null ? name : r.hostname());
        field(out, Integer.toString(r.uid()));
        field(out, Integer.toString(r.gid()));
        field(out, r.userNamespace() ? "1" : "0");
        List<Integer> groups = r.userNamespace() ? List.of() : r.groups();
        field(out, Integer.toString(groups.size()));
        groups.forEach(g -> field(out, Integer.toString(g)));
        field(out, workDir(r, app));
        field(out, Integer.toString(app.command().size()));
        app.command().forEach(a -> field(out, a));
        Map<String, String> env = app.effectiveEnvironment();
        field(out, Integer.toString(env.size()));
        env.forEach((k, v) -> field(out, k + "=" + v));
        seccomp.forEach(s -> field(out, s));
        field(out, Long.toString(r.logLimit()));
        field(out, AppStdio.bounded(r, app.stdout()) ? "1" : "0");
        field(out, AppStdio.bounded(r, app.stderr()) ? "1" : "0");
        field(out, logsAsApp ? "1" : "0");
        return out.toByteArray();
    }

    private static void field(ByteArrayOutputStream out, String s) {
        out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
        out.write(0);
    }
}
