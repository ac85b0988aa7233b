package rocker.impl.linux.sys;

import java.nio.charset.StandardCharsets;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.byref.IntByReference;

/**
 * Typed libc calls: errno is read right after each call, EINTR is retried, and every failure is a
 * {@link SysException} naming the operation and its target.
 */
public final class Posix {
    // open(2)
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_CREAT = 0100;
    public static final int O_TRUNC = 01000;
    public static final int O_EXCL = 0200;
    public static final int O_APPEND = 02000;
    public static final int O_NONBLOCK = 04000;
    public static final int O_NOCTTY = 0400;
    public static final int O_CLOEXEC = 02000000;
    // clone(2) / setns(2)
    public static final int CLONE_FS = 0x00000200;
    public static final int CLONE_NEWNS = 0x00020000;
    // mount(2)
    public static final long MS_RDONLY = 1;
    public static final long MS_NOSUID = 2;
    public static final long MS_NODEV = 4;
    public static final long MS_NOEXEC = 8;
    public static final long MS_REMOUNT = 32;
    public static final long MS_BIND = 4096;
    public static final long MS_NOATIME = 1024;
    public static final long MS_NODIRATIME = 2048;
    public static final long MS_RELATIME = 1 << 21;
    public static final long MS_STRICTATIME = 1 << 24;
    public static final long MS_REC = 16384;
    public static final long MS_PRIVATE = 1 << 18;
    // sockets
    public static final int AF_UNIX = 1;
    public static final int SOCK_SEQPACKET = 5;
    public static final int SOCK_CLOEXEC = O_CLOEXEC;
    public static final int SOL_SOCKET = 1;
    public static final int SO_PASSCRED = 16;
    public static final int SCM_RIGHTS = 1;
    public static final int SCM_CREDENTIALS = 2;
    public static final int MSG_NOSIGNAL = 0x4000;
    // poll(2), wait(2), signals
    public static final short POLLIN = 1;
    public static final short POLLERR = 8;
    public static final short POLLHUP = 0x10;
    public static final short POLLNVAL = 0x20;
    public static final int WNOHANG = 1;
    public static final int SIGKILL = 9;
    // syscalls numbered alike on x86-64, aarch64 and arm (the unified table since Linux 5.1)
    private static final long SYS_PIDFD_SEND_SIGNAL = 424;
    private static final long SYS_PIDFD_OPEN = 434;

    private Posix() {
    }

    private static SysException fail(String op, String target) {
        return new SysException(op, target, Native.errno());
    }

    // ---- files -----------------------------------------------------------------------------

    public static int open(String path, int flags, int mode) {
        int fd = (int) Interrupted.retry(() -> Native.file().open(path, flags | O_CLOEXEC, mode));
        if (fd < 0) throw fail("open", path);
        return fd;
    }

    /** Closes quietly: after close(2) the descriptor is gone whatever it returns. */
    public static void close(int fd) {
        if (fd >= 0) Native.file().close(fd);
    }

    public static int[] pipe() {
        int[] fds = new int[2];
        if (Native.file().pipe2(fds, O_CLOEXEC) < 0) throw fail("pipe2", null);
        return fds;
    }

    /** Writes one byte (a wake-up through a pipe); a full pipe is as good as a written byte. */
    public static void writeByte(int fd) {
        Pointer one = Scratch.get(Scratch.SMALL, 1);
        one.putByte(0, (byte) 1);
        NativeIo.write(fd, one, 1);
    }

    public static void fchown(int fd, int uid, int gid, String path) {
        if (Native.file().fchown(fd, uid, gid) < 0) throw fail("fchown", path);
    }

    /** Reads up to {@code max} bytes; empty at end of file. */
    public static byte[] read(int fd, int max) {
        Pointer buf = Scratch.get(Scratch.DATA, max);
        long n = Interrupted.retry(() -> Native.file().read(fd, buf, max));
        if (n < 0) throw fail("read", "fd " + fd);
        byte[] out = new byte[(int) n];
        buf.get(0, out, 0, out.length);
        return out;
    }

    public static int ioctl(int fd, long request, Pointer arg, String what) {
        int r = (int) Interrupted.retry(() -> Native.file().ioctl(fd, request, arg));
        if (r < 0) throw fail("ioctl " + what, null);
        return r;
    }

    /** An integer argument of ioctl(2), passed in the pointer-sized slot. */
    public static Pointer intArg(long value) {
        return value == 0 ? null : Pointer.wrap(Native.runtime(), value);
    }

    // ---- namespaces and mounts ---------------------------------------------------------------

    public static void unshare(int flags, String why) {
        if (Native.mount().unshare(flags) < 0) throw fail("unshare", why);
    }

    /**
     * Sets the file creation mask of this thread's filesystem context (the process's, unless the thread
     * unshared CLONE_FS); returns the previous one.
     */
    public static int umask(int mask) {
        return Native.file().umask(mask);
    }

    public static void setns(int fd, int type, String why) {
        if (Native.mount().setns(fd, type) < 0) throw fail("setns", why);
    }

    public static void mount(String source, String target, String type, long flags, String data) {
        if (Interrupted.retry(() -> Native.mount().mount(source, target, type, flags, data)) < 0) {
            throw fail("mount " + (type == null ? "" : type + " ") + (source == null ? "" : source) + " on", target);
        }
    }

    /** MNT_DETACH of umount2(2): the mount and every mount below it go at once (lazily for files still open). */
    public static final int MNT_DETACH = 2;

    /** umount2(2) with {@code flags}. */
    public static void umount2(String target, int flags) {
        if (Interrupted.retry(() -> Native.mount().umount2(target, flags)) < 0) {
            throw fail("umount", target);
        }
    }

    /** Creates a directory; false when it exists already. */
    public static boolean mkdir(String path, int mode) {
        if (Native.mount().mkdir(path, mode) == 0) return true;
        int e = Native.errno();
        if (e == Errno.EEXIST) return false;
        throw new SysException("mkdir", path, e);
    }

    public static void chown(String path, int uid, int gid) {
        if (Native.mount().chown(path, uid, gid) < 0) throw fail("chown", path);
    }

    public static void chmod(String path, int mode) {
        if (Native.mount().chmod(path, mode) < 0) throw fail("chmod", path);
    }

    // ---- sockets -----------------------------------------------------------------------------

    /** A SOCK_SEQPACKET Unix socket pair, close-on-exec. */
    public static int[] seqpacketPair() {
        int[] fds = new int[2];
        if (Native.socket().socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0) {
            throw fail("socketpair", null);
        }
        return fds;
    }

    public static void passCredentials(int fd) {
        Pointer one = Scratch.get(Scratch.SMALL, 4);
        one.putInt(0, 1);
        if (Native.socket().setsockopt(fd, SOL_SOCKET, SO_PASSCRED, one, 4) < 0) {
            throw fail("setsockopt SO_PASSCRED", "fd " + fd);
        }
    }

    public static void send(int fd, byte[] message) {
        Pointer buf = Scratch.get(Scratch.DATA, Math.max(1, message.length));
        buf.put(0, message, 0, message.length);
        long n = Interrupted.retry(() -> Native.socket().send(fd, buf, message.length, MSG_NOSIGNAL));
        if (n != message.length) throw new SysException("send", "fd " + fd, n < 0 ? Native.errno() : Errno.EINVAL);
    }

    /**
     * A listening SOCK_SEQPACKET Unix socket bound at {@code path} (at most 107 bytes: name a long dir
     * through {@link Fd#procPath}), close-on-exec.
     */
    public static int listenSeqpacket(String path, int backlog) {
        int fd = Native.socket().socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0) throw fail("socket", path);
        try {
            Pointer address = unixAddress(path);
            if (Native.socket().bind(fd, address, UNIX_ADDRESS_LENGTH) < 0) throw fail("bind", path);
            if (Native.socket().listen(fd, backlog) < 0) throw fail("listen", path);
            return fd;
        } catch (SysException e) {
            close(fd);
            throw e;
        }
    }

    /** A SOCK_SEQPACKET Unix socket connected to {@code path}, close-on-exec. */
    public static int connectSeqpacket(String path) {
        int fd = Native.socket().socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0) throw fail("socket", path);
        Pointer address = unixAddress(path);
        if (Interrupted.retry(() -> Native.socket().connect(fd, address, UNIX_ADDRESS_LENGTH)) == 0) return fd;
        SysException e = fail("connect", path);
        close(fd);
        throw e;
    }

    private static final int UNIX_ADDRESS_LENGTH = 110; // sa_family_t + sun_path[108]

    private static Pointer unixAddress(String path) {
        byte[] bytes = path.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > 107) throw new SysException("bind", path, Errno.ENAMETOOLONG);
        Pointer a = Scratch.get(Scratch.STRUCT, UNIX_ADDRESS_LENGTH);
        a.setMemory(0, UNIX_ADDRESS_LENGTH, (byte) 0);
        a.putShort(0, (short) AF_UNIX);
        a.put(2, bytes, 0, bytes.length);
        return a;
    }

    /** Sends one datagram with descriptors ({@code SCM_RIGHTS}); the receiver gets its own copies. */
    public static void send(int fd, byte[] message, int[] fds) {
        jnr.ffi.Runtime rt = Native.runtime();
        Pointer buf = Scratch.get(Scratch.DATA, Math.max(1, message.length));
        buf.put(0, message, 0, message.length);
        Pointer control = ControlMessages.rights(fds);
        int space = ControlMessages.rightsSpace(fds.length);
        IoVec iov = new IoVec(rt);
        iov.base.set(buf);
        iov.length.set(message.length);
        MsgHdr msg = new MsgHdr(rt);
        msg.iov.set(jnr.ffi.Struct.getMemory(iov));
        msg.iovLength.set(1);
        msg.control.set(control);
        msg.controlLength.set(space);
        long n = Interrupted.retry(() -> Native.socket().sendmsg(fd, msg, MSG_NOSIGNAL));
        if (n != message.length) throw new SysException("sendmsg", "fd " + fd, n < 0 ? Native.errno() : Errno.EINVAL);
    }

    /** One datagram and, when the peer's credentials came with it, the sender's pid in our namespace. */
    public static final class Datagram {
        public final byte[] data;
        public final int senderPid;

        Datagram(byte[] data, int senderPid) {
            this.data = data;
            this.senderPid = senderPid;
        }

        /** The NUL-separated text fields of the datagram. */
        public String[] fields() {
            String s = new String(data, StandardCharsets.UTF_8);
            if (s.endsWith("\0")) s = s.substring(0, s.length() - 1);
            return s.split("\0", -1);
        }
    }

    /** Receives one datagram; {@code null} at end of stream (the peer is gone). */
    public static Datagram receive(int fd, int max) {
        jnr.ffi.Runtime rt = Native.runtime();
        Pointer buf = Scratch.get(Scratch.DATA, max);
        int cmsgSpace = 64;
        Pointer control = Scratch.get(Scratch.CONTROL, cmsgSpace);
        IoVec iov = new IoVec(rt);
        iov.base.set(buf);
        iov.length.set(max);
        MsgHdr msg = new MsgHdr(rt);
        msg.iov.set(jnr.ffi.Struct.getMemory(iov));
        msg.iovLength.set(1);
        msg.control.set(control);
        msg.controlLength.set(cmsgSpace);
        long n = Interrupted.retry(() -> Native.socket().recvmsg(fd, msg, 0));
        if (n < 0) throw fail("recvmsg", "fd " + fd);
        if (n == 0) return null;
        byte[] data = new byte[(int) n];
        buf.get(0, data, 0, data.length);
        return new Datagram(data, ControlMessages.credentialsPid(control, msg.controlLength.get()));
    }

    // ---- processes ----------------------------------------------------------------------------

    /**
     * posix_spawn(3) of {@code path}: child fd i is a duplicate of {@code fds[i]}; every other
     * descriptor of ours is close-on-exec or closed by the program itself. No Java code runs in the child.
     */
    public static int spawn(String path, String[] argv, String[] env, int[] fds) {
        jnr.ffi.Runtime rt = Native.runtime();
        Pointer actions = Memory.allocateDirect(rt, 256);
        ProcessCalls p = Native.process();
        int r = p.posix_spawn_file_actions_init(actions);
        if (r != 0) throw new SysException("posix_spawn_file_actions_init", path, r);
        try {
            // move the sources above all of them first, so that dup2 onto 0..n never clobbers a later source
            int base = fds.length;
            for (int fd : fds) base = Math.max(base, fd + 1);
            for (int i = 0; i < fds.length; i++) {
                r = p.posix_spawn_file_actions_adddup2(actions, fds[i], base + i);
                if (r != 0) throw new SysException("posix_spawn_file_actions_adddup2", path, r);
            }
            for (int i = 0; i < fds.length; i++) {
                r = p.posix_spawn_file_actions_adddup2(actions, base + i, i);
                if (r != 0) throw new SysException("posix_spawn_file_actions_adddup2", path, r);
            }
            IntByReference pid = new IntByReference();
            Pointer cArgv = cStrings(rt, argv);
            Pointer cEnv = cStrings(rt, env);
            r = p.posix_spawn(pid, path, actions, null, cArgv, cEnv);
            java.lang.ref.Reference.reachabilityFence(cArgv); // their memory is freed once unreachable
            java.lang.ref.Reference.reachabilityFence(cEnv);
            if (r != 0) throw new SysException("posix_spawn", path, r);
            return pid.intValue();
        } finally {
            p.posix_spawn_file_actions_destroy(actions);
        }
    }

    /** A NULL-terminated array of UTF-8 C strings, in memory that lives as long as the returned pointer. */
    private static Pointer cStrings(jnr.ffi.Runtime rt, String[] strings) {
        byte[][] bytes = new byte[strings.length][];
        int total = 0;
        for (int i = 0; i < strings.length; i++) {
            bytes[i] = strings[i].getBytes(StandardCharsets.UTF_8);
            total += bytes[i].length + 1;
        }
        int slots = (strings.length + 1) * rt.addressSize();
        Pointer block = Memory.allocateDirect(rt, slots + total, true);
        int at = slots;
        for (int i = 0; i < strings.length; i++) {
            block.putAddress((long) i * rt.addressSize(), block.address() + at);
            block.put(at, bytes[i], 0, bytes[i].length);
            at += bytes[i].length + 1; // the block is zeroed: the NUL is there
        }
        block.putAddress((long) strings.length * rt.addressSize(), 0L);
        return block;
    }

    /** waitpid(2): the wait status, or -1 when {@code WNOHANG} and the child has not changed state. */
    public static int waitpid(int pid, int options) {
        IntByReference status = new IntByReference();
        long r = Interrupted.retry(() -> Native.process().waitpid(pid, status, options));
        if (r < 0) throw fail("waitpid", "pid " + pid);
        return r == 0 ? -1 : status.intValue();
    }

    public static int pidfdOpen(int pid) {
        long fd = Native.process().syscall(SYS_PIDFD_OPEN, pid, 0, 0, 0);
        if (fd < 0) throw fail("pidfd_open", "pid " + pid);
        return (int) fd;
    }

    public static void pidfdSendSignal(int pidfd, int signal, String target) {
        if (Native.process().syscall(SYS_PIDFD_SEND_SIGNAL, pidfd, signal, 0, 0) < 0) {
            throw fail("pidfd_send_signal", target);
        }
    }

    /** SIGKILL through a pidfd; false when the process is gone already. */
    public static boolean kill(int pid, String what) {
        int fd;
        try {
            fd = pidfdOpen(pid);
        } catch (SysException e) {
            return false;
        }
        try {
            pidfdSendSignal(fd, SIGKILL, what);
            return true;
        } catch (SysException e) {
            return false;
        } finally {
            close(fd);
        }
    }

    /** poll(2) on several descriptors for input; returns each one's revents (0 on timeout). */
    public static short[] poll(int[] fds, int timeoutMillis) {
        Pointer mem = Scratch.get(Scratch.SMALL, 8L * Math.max(1, fds.length));
        for (int i = 0; i < fds.length; i++) {
            mem.putInt(8L * i, fds[i]);
            mem.putShort(8L * i + 4, POLLIN);
            mem.putShort(8L * i + 6, (short) 0);
        }
        if (Interrupted.retry(() -> Native.process().poll(mem, fds.length, timeoutMillis)) < 0) throw fail("poll", null);
        short[] revents = new short[fds.length];
        for (int i = 0; i < fds.length; i++) {
            revents[i] = mem.getShort(8L * i + 6);
        }
        return revents;
    }

    /** Whether {@code fd} became readable (or hung up) within the timeout. */
    public static boolean awaitReadable(int fd, int timeoutMillis) {
        return poll(new int[] {fd}, timeoutMillis)[0] != 0;
    }

    public static int geteuid() {
        return Native.process().geteuid();
    }
}
