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
 * The one codec of the messages between the engine and rocker-guard's processes (documented at the top
 * of rocker-guard.c): datagrams of NUL-separated text fields, the first the kind. Failures ("E", "F")
 * name their step ({@link GuardStep}) and carry an errno.
 */
final class GuardMessage {
    /** keeper -> engine: the guard's host pid. */
    static final String PID = "P";
    /** guard -> engine: ready for the app request. */
    static final String READY = "R";
    /** engine -> guard: the app request. */
    static final String EXEC = "X";
    /** engine -> guard: an entered rocker's name and hostname (no app); guard -> engine: done. */
    static final String JOIN = "J";
    /** engine -> guard: the read ends of the streamed pipes, to drain once the engine is gone. */
    static final String DRAIN = "D";
    /** engine -> guard: the status socket and the data-dir locks to hold. */
    static final String HOLD = "H";
    /** engine -> guard: make the rocker's /proc ahead of need; guard -> engine: whether it did (1 0, or 0 errno). */
    static final String STAGE = "S";
    /** guard -> engine: the app runs (its pid in the rocker; the message carries the app's credentials: its host pid). */
    static final String APP = "A";
    /** guard -> engine: the app ended (its wait status). */
    static final String WAITED = "W";
    /** guard -> a watching engine: too many engines watch; this one is let go. */
    static final String LET_GO = "Q";
    /** a step of the keeper or guard failed (the process ends). */
    static final String ERROR = "E";
    /** a step of the app request failed (the guard goes on). */
    static final String FAILED = "F";

    final String kind;
    private final String[] fields;
    /** For a datagram that came with credentials: the sender's pid in our namespace; else 0. */
    final int senderPid;

    private GuardMessage(String[] fields, int senderPid) {
        this.kind = fields[0];
        this.fields = fields;
        this.senderPid = senderPid;
    }

    static GuardMessage of(Posix.Datagram d) {
        return new GuardMessage(d.fields(), d.senderPid);
    }

    /** Field {@code i} (1 is the first after the kind) as a number. */
    int number(int i) {
        if (i >= fields.length) throw malformed();
        try {
            return Integer.parseInt(fields[i]);
        } catch (NumberFormatException e) {
            throw malformed();
        }
    }

    /** Whether field {@code i} is there and says {@code text}. */
    boolean says(int i, String text) {
        return i < fields.length && fields[i].equals(text);
    }

    boolean isFailure() {
        return kind.equals(ERROR) || kind.equals(FAILED);
    }

    /** The step of a failure. */
    GuardStep step() {
        return GuardStep.named(fields.length > 1 ? fields[1] : "");
    }

    /** The failure as the exception the caller gets ({@code detail}: e.g. the command, may be null). */
    RockerException failure(String who, String detail) {
        return step().failure(who, number(2), detail);
    }

    /** The app's exit code from a "W" message: its code, or 128 + the signal that ended it. */
    int exitCode() {
        int status = number(1);
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);
    }

    /** The signal that ended the app, from a "W" message; 0 when it exited. */
    int signal() {
        int status = number(1);
        return (status & 0x7f) == 0 ? 0 : status & 0x7f;
    }

    private RockerException malformed() {
        return new RockerException(RockerError.BUILD_ROCKER_FAILED, "a malformed '" + kind + "' message from the guard");
    }

    /** "D": the read ends of the streamed pipes go with it. */
    static byte[] drain() {
        return new byte[] {'D', 0};
    }

    /**
     * "S": a spare's /dev was built ahead; its guard mounts the rocker's /proc on /dev/mqueue now and moves it on
     * /proc with the request (rocker-guard.c); it answers "S" 1 0 (made) or "S" 0 errno.
     */
    static byte[] stageProc() {
        return new byte[] {'S', 0};
    }

    /**
     * "B": a spare in its rocker's cgroups forks the app's process ahead now, before any request (rocker-guard.c); no
     * answer.
     */
    static byte[] forkAhead() {
        return new byte[] {'B', 0};
    }

    /**
     * "H" (the descriptors go with it), with {@code forkAhead} "H t": the app's process forked ahead serves the request
     * (it will have the default filter and no user namespace, and the guard is in its rocker's cgroups already; one is
     * forked now if there is none); without, one forked ahead ("B") is killed and reaped.
     */
    static byte[] hold(boolean forkAhead) {
        return forkAhead ? new byte[] {'H', 0, 't', 0} : new byte[] {'H', 0};
    }

    /** "J" name hostname: the rocker is made ready to be entered by its caller, and no app is started. */
    static byte[] join(String name, RockerRequest r) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        field(out, JOIN);
        field(out, name);
        field(out, r.hostname() == null ? name : r.hostname());
        return out.toByteArray();
    }

    /**
     * "X" name hostname uid gid userns ngroups groups... cwd argc argv... envc env... seccomp... log_limit
     * log_stdout log_stderr, NUL-separated ({@code seccomp}: {@link SeccompProfile#fields(String)};
     * log_stdout/log_stderr 1: the guard bounds that log to log_limit bytes, {@link AppStdio#bounded}; the
     * log dir then follows the stdio in the SCM_RIGHTS) logs_as_app (1: the guard pumps the logs with the
     * app's file credentials). New fields go at the end.
     */
    static byte[] exec(String name, RockerRequest r, RockerApp app, List<String> seccomp, boolean logsAsApp) {
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
        field(out, app.workDir() == null ? r.execDir() : app.workDir());
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
