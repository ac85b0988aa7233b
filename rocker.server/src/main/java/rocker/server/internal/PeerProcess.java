package rocker.server.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import jnr.ffi.LibraryLoader;
import jnr.ffi.byref.IntByReference;
import jnr.ffi.types.size_t;

/**
 * Finds out whether the process behind a connection lives in the server's pid namespace. The peer
 * is pinned with a pidfd: {@code SO_PEERPIDFD} (Linux 6.5+) gives the very process that connected;
 * before that, {@code pidfd_open} of the {@code SO_PEERCRED} pid (5.3+) leaves a small window in
 * which the peer could exit and its pid be reused (documented in docs/security.md); without pidfds,
 * {@code /proc/PID/status}. The pidfd's {@code NSpid} (in /proc/self/fdinfo) lists the process's pid
 * in our namespace and in every namespace below it: more than one entry means inside a rocker.
 */
final class PeerProcess {
    private static final int SOL_SOCKET = 1;
    private static final int SO_PEERPIDFD = 77;
    private static final long SYS_PIDFD_OPEN = 434; // the same on x86-64, aarch64 and arm
    private static final long SYS_PIDFD_SEND_SIGNAL = 424;

    /** libc, for what jnr-unixsocket does not offer. */
    public interface LibC {
        int getsockopt(int fd, int level, int name, IntByReference value, IntByReference length);

        long syscall(@size_t long number, long a, long b, long c, long d);

        int close(int fd);
    }

    private static final class Holder {
        static final LibC C = LibraryLoader.create(LibC.class).load("c");
    }

    private PeerProcess() {
    }

    /** The peer of socket {@code fd} whose SO_PEERCRED said pid/uid/gid, with its pid namespace checked. */
    static Peer of(int fd, int pid, int uid, int gid) {
        if (pid <= 0) {
            return new Peer(pid, uid, gid, "its pid is not visible in the server's pid namespace", "");
        }
        int pidfd = peerPidfd(fd);
        if (pidfd == -ENOPROTOOPT) {
            // a kernel before 6.5: the pid as SO_PEERCRED saw it (a small reuse window, docs/security.md)
            pidfd = (int) Holder.C.syscall(SYS_PIDFD_OPEN, pid, 0, 0, 0);
        } else if (pidfd < 0) {
            // SO_PEERPIDFD exists but has no process for the peer: it is gone (never fall back to its pid)
            return new Peer(pid, uid, gid, "it is gone", "");
        }
        try {
            List<String> nspid = nspid(pidfd >= 0 ? Path.of("/proc/self/fdinfo", Integer.toString(pidfd))
                    : Path.of("/proc", Integer.toString(pid), "status"));
            if (nspid.isEmpty() || nspid.get(0).equals("-1") || nspid.get(0).equals("0")) {
                return new Peer(pid, uid, gid, "it is gone", "");
            }
            String ns = namespace(pid);
            if (pidfd >= 0 && Holder.C.syscall(SYS_PIDFD_SEND_SIGNAL, pidfd, 0, 0, 0) != 0) {
                return new Peer(pid, uid, gid, "it is gone", ""); // the namespace read may be another process's
            }
            return new Peer(pid, uid, gid, nspid.size() > 1 ? "it runs in another pid namespace" : null, ns);
        } catch (IOException e) {
            return new Peer(pid, uid, gid, "it is gone (" + e.getMessage() + ")", "");
        } finally {
            if (pidfd >= 0) Holder.C.close(pidfd);
        }
    }

    private static final int ENOPROTOOPT = 92;

    /** A pidfd of the process that connected (Linux 6.5+), or minus the errno (-ENOPROTOOPT: no such option). */
    private static int peerPidfd(int fd) {
        IntByReference value = new IntByReference(-1);
        IntByReference length = new IntByReference(4);
        if (Holder.C.getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, value, length) == 0) return value.intValue();
        int errno = jnr.ffi.Runtime.getRuntime(Holder.C).getLastError();
        return -(errno > 0 ? errno : ENOPROTOOPT);
    }

    private static List<String> nspid(Path file) throws IOException {
        for (String line : Files.readAllLines(file)) {
            if (line.startsWith("NSpid:")) {
                List<String> ids = new ArrayList<>(List.of(line.substring(6).trim().split("\\s+")));
                ids.removeIf(String::isEmpty);
                return ids;
            }
        }
        return List.of();
    }

    /** "pid:[inode]" of process {@code pid}'s pid namespace, or "" when it cannot be read. */
    static String namespace(int pid) {
        try {
            return Files.readSymbolicLink(Path.of("/proc", Integer.toString(pid), "ns", "pid")).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return "";
        }
    }
}
