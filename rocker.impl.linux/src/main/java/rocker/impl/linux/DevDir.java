package rocker.impl.linux;

import java.util.ArrayList;
import java.util.List;

import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.impl.linux.sys.Errno;
import rocker.impl.linux.sys.Fd;
import rocker.impl.linux.sys.Posix;
import rocker.impl.linux.sys.SysException;

/**
 * The rocker's own minimal /dev (docs/security.md), instead of the host's with every disk: a tmpfs
 * with the host's {@code null zero full random urandom tty} bound on empty files, a new devpts
 * instance on {@code pts} ({@code ptmx} a link into it), a private tmpfs on {@code shm}, an empty
 * {@code mqueue} dir (the guard mounts the rocker's mqueue there), the {@code fd}, {@code stdin},
 * {@code stdout}, {@code stderr} links, and the devices the request names (opened before with the
 * caller's credentials, see {@link HostPaths}). The tmpfs is read-only once built; the device nodes
 * and /dev/shm stay usable.
 *
 * <p>None of it but the devices depends on the request (/dev cannot be overlaid, and no exec, data or
 * shared dir lies in it), so a spare's namespace gets it ahead of need ({@link #ahead()}, see
 * {@link SpareMounts}); a request then only registers its writable mounts ({@link #builtAhead}). A
 * request that needs the host's /dev during its plan (devices to open, a loop device of its own) has the
 * spare's dropped first ({@link #dropAhead()}) and gets one built in its plan.
 */
final class DevDir implements MountOp {
    private static final String[] NODES = {"null", "zero", "full", "random", "urandom", "tty"};
    static final String SHM_OPTIONS = "mode=1777,size=64m";
    /** The request's devices and where its writable mounts are registered; both null ahead of need. */
    private final HostPaths host;
    private final ReadOnlyHost readOnly;
    /** Plans that used a spare's /dev, and that dropped one (for tests). */
    static final java.util.concurrent.atomic.AtomicInteger USED_AHEAD = new java.util.concurrent.atomic.AtomicInteger();
    static final java.util.concurrent.atomic.AtomicInteger DROPPED_AHEAD = new java.util.concurrent.atomic.AtomicInteger();
    /** Whether the spare's namespace has it already: then only its writable mounts are registered. */
    private final boolean builtAhead;

    /** Built in a request's plan, with its devices. */
    DevDir(HostPaths host, ReadOnlyHost readOnly) {
        this(host, readOnly, false);
    }

    private DevDir(HostPaths host, ReadOnlyHost readOnly, boolean builtAhead) {
        this.host = host;
        this.readOnly = readOnly;
        this.builtAhead = builtAhead;
    }

    /** The /dev of a spare's namespace, built ahead of need: everything but a request's devices. */
    static DevDir ahead() {
        return new DevDir(null, null, false);
    }

    /** In a request's plan on a spare whose /dev was built ahead (a request with no devices): its writable mounts registered. */
    static DevDir builtAhead(ReadOnlyHost readOnly) {
        return new DevDir(null, readOnly, true);
    }

    /**
     * The first step of a plan that needs the host's /dev on a spare whose /dev was built ahead: that
     * /dev and the mounts in it go (MNT_DETACH), the host's is seen again.
     */
    static MountOp dropAhead() {
        return MountOp.of("drop the /dev built ahead (the plan needs the host's)", () -> {
            try (RootWalk dev = RootWalk.dir("/dev")) {
                if (dev.fd() < 0) throw new SysException("open", "/dev", Errno.ENOENT);
                Posix.umount2(Fd.procPath(dev.fd()), Posix.MNT_DETACH);
            }
            DROPPED_AHEAD.incrementAndGet();
        });
    }

    @Override
    public String describe() {
        return builtAhead ? "keep the rocker's /dev (built ahead) usable" : "build the rocker's /dev";
    }

    @Override
    public void apply() {
        if (builtAhead) {
            try (RootWalk dev = RootWalk.dir("/dev")) {
                if (dev.fd() < 0) throw new SysException("open", "/dev", Errno.ENOENT);
                if (readOnly.isHostMount(Fd.mountId(dev.fd(), "/dev"))) {
                    // never on the older kernels' way either (which makes registered mounts writable unchecked)
                    throw new RockerException(RockerError.BUILD_ROCKER_FAILED, "the spare's /dev built ahead is not there: /dev is the host's");
                }
                keepUsable(dev.fd());
            }
            USED_AHEAD.incrementAndGet();
            return;
        }
        List<Integer> nodes = new ArrayList<>();
        int dev = -1;
        try {
            for (String n : NODES) {
                nodes.add(Posix.open("/dev/" + n, Fd.O_PATH | Fd.O_NOFOLLOW, 0));
            }
            try (RootWalk hostDev = RootWalk.dir("/dev")) {
                if (hostDev.fd() < 0) throw new SysException("open", "/dev", Errno.ENOENT);
                Posix.mount("tmpfs", Fd.procPath(hostDev.fd()), "tmpfs", Posix.MS_NOSUID | Posix.MS_NOEXEC, "mode=0755,size=64k,nr_inodes=256");
            }
            dev = Posix.open("/dev", Posix.O_RDONLY | Fd.O_DIRECTORY | Fd.O_NOFOLLOW, 0);
            for (int i = 0; i < NODES.length; i++) {
                bindNode(dev, NODES[i], nodes.get(i));
            }
            Fd.mkdirat(dev, "pts", 0755, "/dev/pts");
            mountIn(dev, "pts", "devpts", Posix.MS_NOSUID | Posix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5");
            Fd.symlinkat("pts/ptmx", dev, "ptmx", "/dev/ptmx");
            Fd.mkdirat(dev, "shm", 01777, "/dev/shm");
            mountIn(dev, "shm", "tmpfs", Posix.MS_NOSUID | Posix.MS_NODEV, SHM_OPTIONS);
            if (readOnly != null) keepUsable(dev);
            Fd.mkdirat(dev, "mqueue", 0755, "/dev/mqueue");
            Fd.symlinkat("/proc/self/fd", dev, "fd", "/dev/fd");
            String[] std = {"stdin", "stdout", "stderr"};
            for (int i = 0; i < 3; i++) {
                Fd.symlinkat("/proc/self/fd/" + i, dev, std[i], "/dev/" + std[i]);
            }
            for (HostPaths.Opened d : host == null ? List.<HostPaths.Opened>of() : host.devices()) {
                int parent = parentsIn(dev, d.path);
                try {
                    String leaf = d.path.substring(d.path.lastIndexOf('/') + 1);
                    bindNode(parent, leaf, d.fd);
                    writable(parent, leaf, 0);
                } finally {
                    if (parent != dev) Posix.close(parent);
                }
            }
            Posix.mount(null, Fd.procPath(dev), null, Posix.MS_REMOUNT | Posix.MS_RDONLY | Posix.MS_NOSUID | Posix.MS_NOEXEC, null);
        } finally {
            nodes.forEach(Posix::close);
            Posix.close(dev);
        }
    }

    /**
     * An empty file {@code name} in {@code dir} with the node behind {@code source} bound on it. Created
     * and opened read-only: a file open for writing on the new /dev makes its read-only remount fail with
     * EBUSY, and a guard spawned meanwhile by another thread holds a copy of our descriptors until it execs.
     */
    private static void bindNode(int dir, String name, int source) {
        int file = Fd.openat(dir, name, Posix.O_RDONLY | Posix.O_CREAT | Posix.O_EXCL | Fd.O_NOFOLLOW, 0600, name);
        try {
            Posix.mount(Fd.procPath(source), Fd.procPath(file), null, Posix.MS_BIND, null);
        } finally {
            Posix.close(file);
        }
    }

    /** The node mounts, /dev/pts and /dev/shm of the new /dev (opened as {@code dev}) stay writable when the host goes read-only. */
    private void keepUsable(int dev) {
        for (String n : NODES) {
            writable(dev, n, 0);
        }
        writable(dev, "pts", Fd.O_DIRECTORY);
        writable(dev, "shm", Fd.O_DIRECTORY);
    }

    /** The mount just made on {@code name} in {@code dir} (of the new /dev) stays writable when the host goes read-only. */
    private void writable(int dir, String name, int type) {
        readOnly.keepWritable(Fd.openat(dir, name, Fd.O_PATH | Fd.O_NOFOLLOW | type, 0, "/dev/" + name), "the rocker's /dev/" + name);
    }

    private static void mountIn(int dir, String name, String type, long flags, String options) {
        int target = Fd.openDir(dir, name, "/dev/" + name);
        try {
            Posix.mount(type, Fd.procPath(target), type, flags, options);
        } finally {
            Posix.close(target);
        }
    }

    /** The dir in the new /dev that holds {@code /dev/a/b/node} (made as needed); a dir this call owns. */
    private static int parentsIn(int dev, String path) {
        String[] names = path.substring("/dev/".length()).split("/");
        int cur = dev;
        for (int i = 0; i < names.length - 1; i++) {
            Fd.mkdirat(cur, names[i], 0755, path);
            int next = Fd.openDir(cur, names[i], path);
            if (cur != dev) Posix.close(cur);
            cur = next;
        }
        return cur;
    }
}
