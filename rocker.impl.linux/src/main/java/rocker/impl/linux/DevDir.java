package rocker.impl.linux;

import java.util.ArrayList;
import java.util.List;

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
 */
final class DevDir implements MountOp {
    private static final String[] NODES = {"null", "zero", "full", "random", "urandom", "tty"};
    static final String SHM_OPTIONS = "mode=1777,size=64m";
    private final HostPaths host;
    private final ReadOnlyHost readOnly;

    DevDir(HostPaths host, ReadOnlyHost readOnly) {
        this.host = host;
        this.readOnly = readOnly;
    }

    @Override
    public String describe() {
        return "build the rocker's /dev";
    }

    @Override
    public void apply() {
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
                writable(dev, NODES[i], 0);
            }
            Fd.mkdirat(dev, "pts", 0755, "/dev/pts");
            mountIn(dev, "pts", "devpts", Posix.MS_NOSUID | Posix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5");
            writable(dev, "pts", Fd.O_DIRECTORY);
            Fd.symlinkat("pts/ptmx", dev, "ptmx", "/dev/ptmx");
            Fd.mkdirat(dev, "shm", 01777, "/dev/shm");
            mountIn(dev, "shm", "tmpfs", Posix.MS_NOSUID | Posix.MS_NODEV, SHM_OPTIONS);
            writable(dev, "shm", Fd.O_DIRECTORY);
            Fd.mkdirat(dev, "mqueue", 0755, "/dev/mqueue");
            Fd.symlinkat("/proc/self/fd", dev, "fd", "/dev/fd");
            String[] std = {"stdin", "stdout", "stderr"};
            for (int i = 0; i < 3; i++) {
                Fd.symlinkat("/proc/self/fd/" + i, dev, std[i], "/dev/" + std[i]);
            }
            for (HostPaths.Opened d : host.devices()) {
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
