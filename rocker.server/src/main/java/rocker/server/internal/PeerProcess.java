package rocker.server.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.In;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * Finds out whether the process behind a connection lives in the server's pid namespace. The peer
 * is pinned with a pidfd: {@code SO_PEERPIDFD} (Linux 6.5+) gives the very process that connected;
 * before that, {@code pidfd_open} of the {@code SO_PEERCRED} pid (5.3+) leaves a small window in
 * which the peer could exit and its pid be reused (documented in docs/security.md); without pidfds,
 * {@code /proc/PID/status}. The pidfd's {@code NSpid} (in /proc/self/fdinfo) lists the process's pid
 * in our namespace and in every namespace below it: more than one entry means inside a rocker.
 *
 * <p>This runs on the acceptor for every connection, before any request is read, so it is kept to a few
 * system calls in Rocker's own code: the server's JVM compiles the JDK's code late (docs/performance.md,
 * "Server memory"), and {@code Files.readAllLines} and a read of the peer's namespace link, done
 * interpreted, took ~60 us of every call through the socket. The namespace is read only for a peer of
 * another pid namespace (only {@code trusted.rockers} needs it).
 */
final class PeerProcess {
    private static final long SYS_PIDFD_OPEN = 434; // the same on x86-64, aarch64 and arm
    private static final long SYS_PIDFD_SEND_SIGNAL = 424;

    /** libc, for what jnr-unixsocket does not offer. */
    public interface LibC {
        long syscall(@size_t long number, long a, long b, long c, long d);

        int close(int fd);

        /** {@code path}: NUL-terminated bytes (JNR's conversion of a String costs ~20 us where the JDK's code is not compiled yet). */
        int open(@In byte[] path, int flags);

        @ssize_t long read(int fd, java.nio.ByteBuffer buf, @size_t long count);
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
        int pidfd = SocketOptions.peerPidfd(fd);
        if (pidfd == -SocketOptions.ENOPROTOOPT) {
            // a kernel before 6.5: the pid as SO_PEERCRED saw it (a small reuse window, docs/security.md)
            pidfd = (int) Holder.C.syscall(SYS_PIDFD_OPEN, pid, 0, 0, 0);
            if (pidfd < 0) {
                int errno = jnr.ffi.Runtime.getRuntime(Holder.C).getLastError();
                if (errno != ENOSYS && errno != EPERM) {
                    // ESRCH: it has exited, and its pid may be another process's by now
                    return new Peer(pid, uid, gid, "it is gone", "");
                }
                // a kernel before 5.3 (or pidfds filtered): /proc/PID/status below
            }
        } else if (pidfd < 0) {
            // SO_PEERPIDFD exists but has no process for the peer: it is gone (never fall back to its pid)
            return new Peer(pid, uid, gid, "it is gone", "");
        }
        try {
            List<String> nspid = nspid(pidfd >= 0 ? procPath("/proc/self/fdinfo/", pidfd, "") : procPath("/proc/", pid, "/status"));
            if (nspid.isEmpty() || nspid.get(0).equals("-1") || nspid.get(0).equals("0")) {
                return new Peer(pid, uid, gid, "it is gone", "");
            }
            String ns = nspid.size() > 1 ? namespace(pid) : "";
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

    private static final int ENOSYS = 38;
    private static final int EPERM = 1;

    private static final int O_RDONLY_CLOEXEC = 02000000;
    private static final int EINTR = 4;
    /**
     * A pidfd's fdinfo is ~100 bytes, /proc/PID/status ~1.5 KiB, but more with many supplementary groups
     * (its "Groups:" line comes before "NSpid:"); reading stops once the NSpid line is whole.
     */
    private static final int MAX_FILE = 1 << 20;
    private static final byte[] NSPID = "\nNSpid:".getBytes(StandardCharsets.US_ASCII);

    /** {@code prefix + n + suffix} as NUL-terminated ASCII ({@code n} >= 0), built without the JDK's string code. */
    static byte[] procPath(String prefix, int n, String suffix) {
        byte[] digits = new byte[10];
        int d = digits.length;
        do {
            digits[--d] = (byte) ('0' + n % 10);
            n /= 10;
        } while (n > 0);
        byte[] path = new byte[prefix.length() + (digits.length - d) + suffix.length() + 1];
        int at = 0;
        for (int i = 0; i < prefix.length(); i++) path[at++] = (byte) prefix.charAt(i);
        for (int i = d; i < digits.length; i++) path[at++] = digits[i];
        for (int i = 0; i < suffix.length(); i++) path[at++] = (byte) suffix.charAt(i);
        return path; // the last byte stays 0
    }

    /** The ids of the "NSpid:" line of {@code file} (a pidfd's fdinfo or a process's status); empty when it has none. */
    static List<String> nspid(byte[] file) throws IOException {
        byte[] text = readToNSpid(file);
        int at = indexOf(text, NSPID);
        List<String> ids = new ArrayList<>();
        if (at < 0) return ids;
        int i = at + NSPID.length;
        while (i < text.length && text[i] != '\n') {
            while (i < text.length && (text[i] == ' ' || text[i] == '\t')) i++;
            int start = i;
            while (i < text.length && text[i] != ' ' && text[i] != '\t' && text[i] != '\n') i++;
            if (i > start) ids.add(new String(text, start, i - start, StandardCharsets.US_ASCII));
        }
        return ids;
    }

    /** Read buffers of the acceptor (a direct one: JNR passes it without a copy). */
    private static final ThreadLocal<java.nio.ByteBuffer> CHUNK = ThreadLocal.withInitial(() -> java.nio.ByteBuffer.allocateDirect(4096));

    /**
     * A /proc file (at most {@value #MAX_FILE} bytes) after a '\n' of its own, so its first line is found as
     * any other, up to the end of its NSpid line or the end of the file; {@code file} NUL-terminated.
     */
    private static byte[] readToNSpid(byte[] file) throws IOException {
        jnr.ffi.Runtime rt = jnr.ffi.Runtime.getRuntime(Holder.C);
        int fd = Holder.C.open(file, O_RDONLY_CLOEXEC);
        if (fd < 0) throw new IOException("open " + name(file) + ": errno " + rt.getLastError());
        try {
            java.nio.ByteBuffer chunk = CHUNK.get();
            byte[] text = new byte[1 + chunk.capacity()];
            text[0] = '\n';
            int len = 1;
            int at = -1; // where "\nNSpid:" starts, once read
            while (true) {
                chunk.clear();
                long n = Holder.C.read(fd, chunk, chunk.capacity());
                if (n < 0) {
                    int errno = rt.getLastError();
                    if (errno == EINTR) continue;
                    throw new IOException("read " + name(file) + ": errno " + errno);
                }
                if (n == 0) return java.util.Arrays.copyOf(text, len);
                if (len + n > MAX_FILE) throw new IOException(name(file) + ": more than " + MAX_FILE + " bytes");
                if (len + n > text.length) text = java.util.Arrays.copyOf(text, Math.min(MAX_FILE, 2 * text.length));
                chunk.get(text, len, (int) n);
                int before = len;
                len += (int) n;
                if (at < 0) at = indexOf(text, NSPID, Math.max(0, before - NSPID.length + 1), len);
                if (at >= 0 && indexOf(text, NEWLINE, Math.max(at + NSPID.length, before), len) >= 0) {
                    return java.util.Arrays.copyOf(text, len); // the line is whole: the rest is not needed
                }
            }
        } finally {
            Holder.C.close(fd);
        }
    }

    private static String name(byte[] file) {
        return new String(file, 0, file.length - 1, StandardCharsets.US_ASCII);
    }

    private static final byte[] NEWLINE = {'\n'};

    private static int indexOf(byte[] text, byte[] what) {
        return indexOf(text, what, 0, text.length);
    }

    /** The first index in [from, end) where {@code what} lies whole within [0, end), or -1. */
    private static int indexOf(byte[] text, byte[] what, int from, int end) {
        outer:
        for (int i = from; i + what.length <= end; i++) {
            for (int k = 0; k < what.length; k++) {
                if (text[i + k] != what[k]) continue outer;
            }
            return i;
        }
        return -1;
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
