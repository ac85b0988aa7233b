package rocker.api;

import java.util.Objects;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The outcome of every {@link RockerClient} operation, the seed's {@code RockerResult}: expected
 * failures are results, not exceptions. {@link #orThrow()} turns a failure into a {@link RockerException}.
 */
@ProviderType
public final class RockerResult {
    /** The kernel's limit on a process name ({@code comm}): 15 characters plus NUL, as {@code guard_pname[16]}. */
    public static final int MAX_GUARD_NAME = 15;

    private final RockerError error;
    private final int appPid;
    private final int guardPid;
    private final String guardName;
    private final String message;

    private RockerResult(RockerError error, int appPid, int guardPid, String guardName, String message) {
        this.error = Objects.requireNonNull(error, "error");
        this.appPid = appPid;
        this.guardPid = guardPid;
        this.guardName = guardName == null ? "" : guardName;
        this.message = message == null ? "" : message;
    }

    /** A successful result. */
    public static RockerResult success(int appPid, int guardPid, String guardName, String message) {
        return new RockerResult(RockerError.SUCCESS, appPid, guardPid, guardName, message);
    }

    /** A failed result; pids are 0 and the guard name is empty. */
    public static RockerResult failure(RockerError error, String message) {
        if (error == RockerError.SUCCESS) {
            throw new IllegalArgumentException("a failure needs an error other than SUCCESS");
        }
        return new RockerResult(error, 0, 0, "", message);
    }

    /** A result with every field given, e.g. decoded from the wire. */
    public static RockerResult of(RockerError error, int appPid, int guardPid, String guardName, String message) {
        return new RockerResult(error, appPid, guardPid, guardName, message);
    }

    /** {@code err_no}. */
    public RockerError error() { return error; }
    /** The app's pid as seen from the host ({@code app_pid}); 0 when there is none. */
    public int appPid() { return appPid; }
    /** The guard's (PID 1 of the rocker) pid as seen from the host ({@code guard_pid}). */
    public int guardPid() { return guardPid; }
    /** The guard's random, unique name ({@code guard_pname}), at most 15 characters. */
    public String guardName() { return guardName; }
    /** What happened, for humans. */
    public String message() { return message; }

    public boolean isSuccess() {
        return error == RockerError.SUCCESS;
    }

    /** This result if it is a success, else a {@link RockerException} with its error and message. */
    public RockerResult orThrow() {
        if (!isSuccess()) {
            throw new RockerException(error, message);
        }
        return this;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof RockerResult)) return false;
        RockerResult r = (RockerResult) o;
        return error == r.error && appPid == r.appPid && guardPid == r.guardPid
                && guardName.equals(r.guardName) && message.equals(r.message);
    }

    @Override
    public int hashCode() {
        return Objects.hash(error, appPid, guardPid, guardName, message);
    }

    @Override
    public String toString() {
        return "RockerResult[" + error.seedName() + "(" + error.code() + "), app_pid=" + appPid
                + ", guard_pid=" + guardPid + ", guard_name=" + guardName + ", message=" + message + "]";
    }
}
