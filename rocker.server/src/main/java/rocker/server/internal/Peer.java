package rocker.server.internal;

/**
 * The process at the other end of a connection, as the kernel reported it ({@code SO_PEERCRED}); never
 * anything the client said about itself.
 *
 * @param pid its pid
 * @param uid its effective uid at connect time
 * @param gid its effective gid at connect time
 */
public record Peer(int pid, int uid, int gid) {
    @Override
    public String toString() {
        return "pid=" + pid + " uid=" + uid + " gid=" + gid;
    }
}
