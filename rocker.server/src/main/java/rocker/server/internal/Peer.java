package rocker.server.internal;

/**
 * The process at the other end of a connection, as the kernel reported it ({@code SO_PEERCRED}); never
 * anything the client said about itself.
 *
 * @param pid its pid in the server's pid namespace (0: not visible there)
 * @param uid its effective uid at connect time
 * @param gid its effective gid at connect time
 * @param foreign why it is not a process of the server's pid namespace (inside a rocker, or gone), or
 *        null when it is
 * @param pidNamespace its pid namespace ("pid:[inode]"), or "" when unknown
 */
public record Peer(int pid, int uid, int gid, String foreign, String pidNamespace) {
    /** A peer of the server's own pid namespace. */
    public Peer(int pid, int uid, int gid) {
        this(pid, uid, gid, null, "");
    }

    /** Whether it runs outside the server's pid namespace (e.g. in a rocker). */
    public boolean isForeign() {
        return foreign != null;
    }

    @Override
    public String toString() {
        return "pid=" + pid + " uid=" + uid + " gid=" + gid + (foreign == null ? "" : " (" + foreign + ")");
    }
}
