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
import rocker.impl.linux.sys.Fd;
import rocker.impl.linux.sys.Posix;
import rocker.impl.linux.sys.SysException;

/**
 * Makes the host read-only inside the rocker: every mount the rocker's namespace copied from the host
 * (its ids are noted by {@link #snapshot()} before the plan mounts anything) is remounted read-only,
 * one mount at a time ({@code MS_BIND|MS_REMOUNT|MS_RDONLY}, keeping nosuid, nodev, noexec and the
 * atime flags it has). The rocker's own mounts (overlays, image, private /tmp and /run, /dev, shares)
 * keep their modes: a recursive read-only remount of / would hit them too, and overlayfs refuses a
 * read-only upper. Each mount is reached by its mount point with no symlink followed and must be the
 * mount of that id: a mount covered by one of ours cannot be reached by the app, so it is left alone.
 */
final class ReadOnlyHost implements MountOp {
    private static final Logger LOG = LoggerFactory.getLogger(ReadOnlyHost.class);
    private Set<Integer> hostMounts;

    /** The step that notes the host's mounts; it must run before the plan mounts anything. */
    MountOp snapshot() {
        return MountOp.of("note the host's mounts", () -> {
            hostMounts = new HashSet<>();
            for (Entry e : mounts()) hostMounts.add(e.id);
        });
    }

    @Override
    public String describe() {
        return "make the host's mounts read-only";
    }

    @Override
    public void apply() {
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
            try (RootWalk w = RootWalk.file(e.point)) {
                if (w.fd() >= 0) remount(e, w.fd());
            }
        }
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
        final String point;
        final List<String> options;

        Entry(int id, String point, List<String> options) {
            this.id = id;
            this.point = point;
            this.options = options;
        }
    }

    /** The mounts of this thread's mount namespace (the rocker's: the mount thread joined it). */
    private static List<Entry> mounts() {
        List<Entry> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/thread-self/mountinfo"))) {
                String[] f = line.split(" ");
                out.add(new Entry(Integer.parseInt(f[0]), unescape(f[4]), List.of(f[5].split(","))));
            }
        } catch (IOException | RuntimeException e) {
            throw new RockerException(RockerError.BUILD_ROCKER_FAILED, "cannot read the rocker's mounts: " + e, e);
        }
        return out;
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
