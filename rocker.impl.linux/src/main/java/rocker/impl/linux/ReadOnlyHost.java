package rocker.impl.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.impl.linux.sys.Errno;
import rocker.impl.linux.sys.Fd;
import rocker.impl.linux.sys.MountApi;
import rocker.impl.linux.sys.Posix;
import rocker.impl.linux.sys.SysException;

/**
 * Makes the host read-only inside the rocker. Its ids are noted by {@link #snapshot()} before the plan
 * mounts anything; the steps that make mounts the app must be able to write register them
 * ({@link #keepWritable}: the overlays, the private /tmp and /run, read-write shares, the new /dev's
 * mounts). Then, on Linux 5.12+, one {@code mount_setattr(MOUNT_ATTR_RDONLY, AT_RECURSIVE)} makes every
 * mount of the rocker's tree read-only, and the registered ones are made writable again, each checked
 * first to be none of the host's mounts: a host mount is never made writable, whatever a step
 * registered. On older kernels every mount the namespace copied from the host is remounted read-only one
 * at a time ({@code MS_BIND|MS_REMOUNT|MS_RDONLY}, keeping nosuid, nodev, noexec and the atime flags it
 * has), reached by its mount point with no symlink followed and checked to be the mount of that id (a
 * mount covered by one of ours cannot be reached by the app, so it is left alone); the rocker's own mounts
 * keep their modes. (Overlayfs refuses a read-only upper only when it is mounted: the overlays are
 * mounted by then.) The one call costs a start a few microseconds where the walk of every host mount
 * cost ~0.6 ms.
 */
final class ReadOnlyHost implements MountOp {
    private static final Logger LOG = LoggerFactory.getLogger(ReadOnlyHost.class);
    /** Whether mount_setattr may be used (tests turn it off to run the older kernels' way here). */
    private static volatile boolean useMountSetattr = true;
    private Set<Integer> hostMounts;
    /** Of those, the ones at or below /dev, /proc and /sys: no data dir or shared dir may lie on them. */
    private Set<Integer> kernelMounts;
    /** Mounts of this rocker to keep writable: an opened file or dir on each, and whether the mounts below it too. */
    private final List<Writable> writable = new ArrayList<>();

    private static final class Writable {
        final int fd;
        final boolean subtree;
        final String what;

        Writable(int fd, boolean subtree, String what) {
            this.fd = fd;
            this.subtree = subtree;
            this.what = what;
        }
    }

    /** For tests: false runs the per-mount remounts of kernels before 5.12. */
    static void useMountSetattr(boolean use) {
        useMountSetattr = use;
    }

    /** The host's mounts in the rocker's namespace not noted yet (noted by the plan's first step). */
    ReadOnlyHost() {
        this(null);
    }

    /**
     * {@code noted}: the mounts of the rocker's namespace, noted before (a spare's, when it was made: its
     * tree is private, so nothing has come or gone since), or null.
     */
    ReadOnlyHost(Noted noted) {
        if (noted != null) {
            this.hostMounts = new HashSet<>(noted.ids);
            this.kernelMounts = noted.kernel;
        }
    }

    /** The ids of a namespace's mounts, and which of them are at or below /dev, /proc or /sys. */
    static final class Noted {
        final Set<Integer> ids;
        final Set<Integer> kernel;

        private Noted(Set<Integer> ids, Set<Integer> kernel) {
            this.ids = java.util.Collections.unmodifiableSet(ids);
            this.kernel = java.util.Collections.unmodifiableSet(kernel);
        }
    }

    /** The mounts of this thread's namespace. */
    static Noted noteHere() {
        Set<Integer> ids = new HashSet<>();
        Set<Integer> kernel = new HashSet<>();
        for (Entry e : mounts()) {
            ids.add(e.id);
            for (String k : KERNEL_DIRS) {
                if (e.point.equals(k) || e.point.startsWith(k + "/")) kernel.add(e.id);
            }
        }
        return new Noted(ids, kernel);
    }

    private static final List<String> KERNEL_DIRS = List.of("/dev", "/proc", "/sys");

    /** Whether the mount {@code id} of this thread's namespace is read-only (its per-mount options say "ro"). */
    static boolean isReadOnly(int id) {
        for (Entry e : mounts()) {
            if (e.id == id) return e.options.contains("ro");
        }
        throw new RockerException(RockerError.BUILD_ROCKER_FAILED, "mount " + id + " is not in the rocker's mounts");
    }

    /** Whether {@code id} is one of the host's mounts noted by {@link #snapshot()} (or before it). */
    boolean isHostMount(int id) {
        return hostMounts.contains(id);
    }

    /**
     * The opened dir a request named ({@code field} {@code path}: the data dir, a shared dir) must be on one
     * of the host's mounts, and not on one at or below /dev, /proc or /sys (a path that leads there through
     * a symbolic link: the request rules refuse those dirs by name): param_invalid. A spare's /dev and
     * masks, built ahead of need, are the rocker's own mounts, and so are refused too.
     */
    void requireHostMount(int fd, String field, String path) {
        int id = Fd.mountId(fd, path);
        if (!hostMounts.contains(id)) {
            throw new RockerException(RockerError.PARAM_INVALID, field + " '" + path + "': leads onto a mount of the rocker's"
                    + " own (its /dev or a masked dir), not the host's");
        }
        if (kernelMounts.contains(id)) {
            throw new RockerException(RockerError.PARAM_INVALID, field + " '" + path + "': lies in /dev, /proc or /sys"
                    + " (through a symbolic link)");
        }
    }

    /** The step that notes the host's mounts (unless they were noted before); it must run before the plan mounts anything. */
    MountOp snapshot() {
        return MountOp.of("note the host's mounts", () -> {
            if (hostMounts != null) return;
            Noted noted = noteHere();
            hostMounts = new HashSet<>(noted.ids);
            kernelMounts = noted.kernel;
        });
    }

    /**
     * Registers a mount this rocker's plan just made, which the app must be able to write: {@code fd} is an
     * opened file or dir on it (the mount's root), now this object's to close; -1 registers nothing.
     */
    void keepWritable(int fd, String what) {
        if (fd >= 0) writable.add(new Writable(fd, false, what));
    }

    /** Closes the registered descriptors. */
    void close() {
        writable.forEach(w -> Posix.close(w.fd));
        writable.clear();
    }

    @Override
    public String describe() {
        return "make the host's mounts read-only";
    }

    @Override
    public void apply() {
        try {
            if (useMountSetattr && allReadOnlyButOurs()) return;
            remountEach();
        } finally {
            close();
        }
    }

    /** The whole tree read-only in one call, then the registered mounts writable again; false on a kernel before 5.12. */
    private boolean allReadOnlyButOurs() {
        int root = Posix.open("/", Fd.O_PATH | Fd.O_DIRECTORY, 0);
        try {
            int e = MountApi.setAttr(root, true, MountApi.MOUNT_ATTR_RDONLY, 0);
            if (e == Errno.ENOSYS) return false;
            if (e == Errno.EBUSY) {
                // some mount has a file open for writing (all or nothing: nothing changed); a covered one, which
                // the per-mount way leaves alone, or a reachable one, which it reports
                LOG.debug("a mount of the rocker's tree is being written: the host's mounts are made read-only one by one");
                return false;
            }
            if (e != 0) throw failed("/ and the mounts below it", new SysException("mount_setattr (read-only, recursive)", "/", e));
        } finally {
            Posix.close(root);
        }
        for (Writable w : writable) {
            int id = Fd.mountId(w.fd, w.what);
            if (hostMounts.contains(id)) {
                // a step registered a mount it did not make: never make a host mount writable
                throw new RockerException(RockerError.BUILD_ROCKER_FAILED, "cannot keep " + w.what
                        + " writable inside the rocker: it is the host's mount " + id + ", not the rocker's");
            }
            int e = MountApi.setAttr(w.fd, w.subtree, 0, MountApi.MOUNT_ATTR_RDONLY);
            if (e != 0) throw failed(w.what, new SysException("mount_setattr (writable)", w.what, e));
        }
        return true;
    }

    private void remountEach() {
        for (Entry e : mounts()) {
            if (!hostMounts.contains(e.id) || e.options.contains("ro")) continue;
            if (e.point.equals("/")) {
                int root = Posix.open("/", Fd.O_PATH, 0);
                try {
                    remount(e, root);
                } finally {
                    Posix.close(root);
                }
                continue;
            }
            try (RootWalk w = RootWalk.file(e.raw, e.point)) { // its name's bytes: they need not be UTF-8
                if (w.fd() >= 0) remount(e, w.fd());
            }
        }
    }

    private static RockerException failed(String what, SysException ex) {
        return new RockerException(RockerError.BUILD_ROCKER_FAILED, "cannot make the host's mounts read-only inside the rocker ("
                + what + "): " + ex.getMessage(), ex);
    }

    private static void remount(Entry e, int fd) {
        try {
            if (Fd.mountId(fd, e.point) != e.id) {
                LOG.trace("{} (mount {}) is covered inside the rocker", e.point, e.id);
                return;
            }
            Posix.mount(null, Fd.procPath(fd), null, Posix.MS_BIND | Posix.MS_REMOUNT | Posix.MS_RDONLY | kept(e.options), null);
        } catch (SysException ex) {
            throw new RockerException(RockerError.BUILD_ROCKER_FAILED, "cannot make the host's mount " + e.point
                    + " read-only inside the rocker: " + ex.getMessage(), ex);
        }
    }

    private static long kept(List<String> options) {
        long flags = 0;
        for (String o : options) {
            switch (o) {
                case "nosuid": flags |= Posix.MS_NOSUID; break;
                case "nodev": flags |= Posix.MS_NODEV; break;
                case "noexec": flags |= Posix.MS_NOEXEC; break;
                case "noatime": flags |= Posix.MS_NOATIME; break;
                case "nodiratime": flags |= Posix.MS_NODIRATIME; break;
                case "relatime": flags |= Posix.MS_RELATIME; break;
                default: break;
            }
        }
        return flags;
    }

    /** One line of mountinfo: the mount's id, its mount point and its per-mount options. */
    private static final class Entry {
        final int id;
        /** The mount point: the kernel's bytes, and (for comparisons and messages) as UTF-8. */
        final byte[] raw;
        final String point;
        final List<String> options;

        Entry(int id, byte[] raw, List<String> options) {
            this.id = id;
            this.raw = raw;
            this.point = new String(raw, java.nio.charset.StandardCharsets.UTF_8);
            this.options = options;
        }
    }

    /** The mounts of this thread's mount namespace (the rocker's: the mount thread joined it). */
    private static List<Entry> mounts() {
        List<Entry> out = new ArrayList<>();
        try {
            // each byte a char (ISO-8859-1): a mount point is kept as the kernel's bytes, whatever they are
            String text = new String(Files.readAllBytes(Path.of("/proc/thread-self/mountinfo")), java.nio.charset.StandardCharsets.ISO_8859_1);
            for (String line : text.split("\n")) {
                String[] f = line.split(" ");
                byte[] raw = unescape(f[4]).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
                out.add(new Entry(Integer.parseInt(f[0]), raw, List.of(f[5].split(","))));
            }
        } catch (IOException | RuntimeException e) {
            throw new RockerException(RockerError.BUILD_ROCKER_FAILED, "cannot read the rocker's mounts: " + e, e);
        }
        return out;
    }

    /**
     * The lines of a mountinfo file, decoded as UTF-8 with every byte that is not (a user's mount point
     * may have any name) replaced by U+FFFD: a strict decoding failed every build, and a non-ASCII name
     * stopped an engine whose JVM has an ASCII locale. (The read-only host keeps the raw bytes.)
     */
    static List<String> mountInfoLines(Path file) throws IOException {
        return List.of(new String(Files.readAllBytes(file), java.nio.charset.StandardCharsets.UTF_8).split("\n"));
    }

    /** mountinfo writes space, tab, newline and backslash as \ooo. */
    static String unescape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
