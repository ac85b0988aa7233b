package rocker.api;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import org.osgi.annotation.versioning.ProviderType;

/**
 * On whose behalf a rocker is built. The engine runs as root; when it acts for a local user (the
 * server does, for every client that is not root or a trusted uid) it opens every path of the
 * request that the user names (the package, FILE stdio, the data dir) <em>with the user's
 * credentials</em>, so the user can only use what it could open itself. {@link #engine()} means
 * "with the engine's own credentials": in-process callers, root and trusted clients of the server.
 *
 * <p>The identity is the kernel's view of the caller (e.g. {@code SO_PEERCRED}); never something the
 * caller said about itself.
 */
@ProviderType
public final class RockerCaller {
    private static final RockerCaller ENGINE = new RockerCaller(true, 0, 0, List.of(), 0);

    private final boolean engine;
    private final int uid;
    private final int gid;
    private final List<Integer> groups;
    private final int pid;

    private RockerCaller(boolean engine, int uid, int gid, List<Integer> groups, int pid) {
        this.engine = engine;
        this.uid = uid;
        this.gid = gid;
        this.groups = Collections.unmodifiableList(new ArrayList<>(groups));
        this.pid = pid;
    }

    /** The engine's own credentials (root): in-process callers, root and trusted clients. */
    public static RockerCaller engine() {
        return ENGINE;
    }

    /**
     * A local user: paths of its request are opened with these credentials.
     *
     * @param uid the user's uid (not 0: root is {@link #engine()})
     * @param gid its primary gid
     * @param groups its supplementary groups (may be empty: it can only refuse more)
     * @param pid the process that asked, for logs; 0 when unknown
     */
    public static RockerCaller user(int uid, int gid, List<Integer> groups, int pid) {
        if (uid <= 0 || gid < 0) {
            throw new IllegalArgumentException("a user caller needs a uid > 0 and a gid >= 0, not " + uid + "/" + gid);
        }
        return new RockerCaller(false, uid, gid, Objects.requireNonNull(groups, "groups"), pid);
    }

    /** Whether the engine acts with its own credentials. */
    public boolean isEngine() { return engine; }
    /** The user's uid; 0 for {@link #engine()}. */
    public int uid() { return uid; }
    /** The user's primary gid; 0 for {@link #engine()}. */
    public int gid() { return gid; }
    /** The user's supplementary groups; empty for {@link #engine()}. */
    public List<Integer> groups() { return groups; }
    /** The asking process, for logs; 0 when unknown. */
    public int pid() { return pid; }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof RockerCaller)) return false;
        RockerCaller c = (RockerCaller) o;
        return engine == c.engine && uid == c.uid && gid == c.gid && pid == c.pid && groups.equals(c.groups);
    }

    @Override
    public int hashCode() {
        return Objects.hash(engine, uid, gid, groups, pid);
    }

    @Override
    public String toString() {
        return engine ? "engine" : "uid " + uid + " gid " + gid + (groups.isEmpty() ? "" : " groups " + groups)
                + (pid > 0 ? " pid " + pid : "");
    }
}
