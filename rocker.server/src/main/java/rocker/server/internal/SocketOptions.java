package rocker.server.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;

/**
 * The socket options the server sets and reads on every accepted connection, through one small libc
 * binding of its own: jnr-unixsocket's {@code setOption}/{@code getOption} took ~13 us each in the server's
 * JVM (its conversion code is not compiled yet; docs/performance.md, "Sixth round"), these ~1 us. The
 * option numbers and layouts are those of x86-64, aarch64 and 32-bit arm (asm-generic), the architectures
 * Rocker ships native fragments for.
 */
final class SocketOptions {
    private static final int SOL_SOCKET = 1;
    private static final int SO_PEERCRED = 17;
    /** The "old" option numbers, whose struct timeval has two C longs on every architecture. */
    private static final int SO_RCVTIMEO = 20;
    private static final int SO_SNDTIMEO = 21;
    private static final int SO_PEERPIDFD = 77;
    static final int ENOPROTOOPT = 92;
    private static final int EINVAL = 22;
    /** The architectures whose option numbers these are (others, e.g. ppc64le or mips, number them otherwise). */
    private static final java.util.Set<String> ARCHES = java.util.Set.of("amd64", "x86_64", "aarch64", "arm");

    /** libc's setsockopt and getsockopt, with byte arrays for the values. */
    public interface LibC {
        int setsockopt(int fd, int level, int name, @In byte[] value, int length);

        int getsockopt(int fd, int level, int name, @Out byte[] value, @In @Out int[] length);

        int close(int fd);
    }

    private static final class Holder {
        static final LibC C = LibraryLoader.create(LibC.class).load("c");
        static final jnr.ffi.Runtime RT = jnr.ffi.Runtime.getRuntime(C);
        static final int LONG = RT.longSize();
    }

    private SocketOptions() {
    }

    /** What {@code SO_PEERCRED} says of the peer: its pid (0: not visible here), uid and gid at connect time. */
    record Ucred(int pid, int uid, int gid) { }

    /** Sets {@code SO_RCVTIMEO} and {@code SO_SNDTIMEO} of socket {@code fd} to {@code millis}. */
    static void setTimeouts(int fd, int millis) throws IOException {
        String arch = System.getProperty("os.arch");
        if (!ARCHES.contains(arch)) {
            throw new IOException("socket options: their numbers on " + arch + " are not known to this server (" + ARCHES + ")");
        }
        ByteBuffer tv = ByteBuffer.allocate(2 * Holder.LONG).order(ByteOrder.nativeOrder());
        long sec = millis / 1000;
        long usec = (millis % 1000) * 1000L;
        if (Holder.LONG == 8) {
            tv.putLong(sec).putLong(usec);
        } else {
            tv.putInt((int) sec).putInt((int) usec);
        }
        byte[] value = tv.array();
        set(fd, SO_RCVTIMEO, "SO_RCVTIMEO", value);
        set(fd, SO_SNDTIMEO, "SO_SNDTIMEO", value);
    }

    private static void set(int fd, int option, String name, byte[] value) throws IOException {
        if (Holder.C.setsockopt(fd, SOL_SOCKET, option, value, value.length) != 0) {
            throw new IOException("setsockopt " + name + " of fd " + fd + ": errno " + Holder.RT.getLastError());
        }
    }

    /** {@code SO_RCVTIMEO} (0) or {@code SO_SNDTIMEO} (1) of socket {@code fd}, in milliseconds (for tests). */
    static long timeoutMillis(int fd, int which) throws IOException {
        byte[] value = new byte[2 * Holder.LONG];
        int[] length = {value.length};
        int option = which == 0 ? SO_RCVTIMEO : SO_SNDTIMEO;
        if (Holder.C.getsockopt(fd, SOL_SOCKET, option, value, length) != 0) {
            throw new IOException("getsockopt " + option + " of fd " + fd + ": errno " + Holder.RT.getLastError());
        }
        ByteBuffer b = ByteBuffer.wrap(value).order(ByteOrder.nativeOrder());
        return Holder.LONG == 8 ? b.getLong(0) * 1000 + b.getLong(8) / 1000 : b.getInt(0) * 1000L + b.getInt(4) / 1000;
    }

    /** The peer's credentials ({@code SO_PEERCRED}: struct ucred, three 32-bit ints). */
    static Ucred peerCred(int fd) throws IOException {
        byte[] value = new byte[12];
        int[] length = {value.length};
        if (Holder.C.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, value, length) != 0) {
            throw new IOException("getsockopt SO_PEERCRED of fd " + fd + ": errno " + Holder.RT.getLastError());
        }
        if (length[0] != value.length) {
            throw new IOException("getsockopt SO_PEERCRED of fd " + fd + ": " + length[0] + " bytes, not " + value.length);
        }
        ByteBuffer b = ByteBuffer.wrap(value).order(ByteOrder.nativeOrder());
        return new Ucred(b.getInt(0), b.getInt(4), b.getInt(8));
    }

    /**
     * A pidfd of the process that connected ({@code SO_PEERPIDFD}, Linux 6.5+), or minus the errno
     * ({@code -ENOPROTOOPT}: a kernel without the option).
     */
    static int peerPidfd(int fd) {
        byte[] value = new byte[4];
        int[] length = {value.length};
        if (Holder.C.getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, value, length) == 0) {
            int pidfd = ByteBuffer.wrap(value).order(ByteOrder.nativeOrder()).getInt(0);
            if (length[0] == value.length) return pidfd;
            if (pidfd >= 0) Holder.C.close(pidfd); // not what the kernel writes: nothing of it is trusted
            return -EINVAL;
        }
        int errno = Holder.RT.getLastError();
        return -(errno > 0 ? errno : ENOPROTOOPT);
    }
}
