package rocker.impl.linux;

import java.util.ArrayList;
import java.util.List;

import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.impl.linux.sys.Fd;
import rocker.impl.linux.sys.Posix;
import rocker.impl.linux.sys.Stat;
import rocker.impl.linux.sys.SysException;

/**
 * One rocker per data dir, and no data dir inside another (docs/engine.md, "Crash consistency"), held
 * by the rocker itself: the step after the data dir is opened (in the rocker's mount namespace, before
 * any overlay) locks files in {@code <state dir>/locks/} named by the <em>opened</em> dir's device and
 * inode, so any path to it (a symbolic link, a bind mount) meets the same lock, and nothing in the
 * user's dir can beat it. The data dir is locked exclusively and each dir above it shared, up to /:
 * a second rocker on the same dir, on a dir above it (its exclusive lock meets the first's shared one)
 * or below it (its shared lock meets the first's exclusive one) is refused with
 * {@code param_invalid} naming {@code app_data_dir}. The locks then go to the guard ("H", with the
 * rocker's status socket), which holds them for its life: the kernel releases them when it dies,
 * whoever kills it and whatever became of the server.
 */
final class DataDirLock implements MountOp {
    /** Dirs above a data dir that are locked; a deeper data dir is refused. */
    static final int MAX_DEPTH = 48;

    private final String rocker;
    private final DataDir data;
    private final int locksDir;
    private final int statusSocket;
    private final int control;

    /**
     * For rocker {@code rocker}: {@code locksDir} the opened lock dir, {@code statusSocket} the rocker's
     * listening status socket and {@code control} its guard's control socket (neither is closed here).
     */
    DataDirLock(String rocker, DataDir data, int locksDir, int statusSocket, int control) {
        this.rocker = rocker;
        this.data = data;
        this.locksDir = locksDir;
        this.statusSocket = statusSocket;
        this.control = control;
    }

    @Override
    public String describe() {
        return "lock the data dir " + data.path();
    }

    @Override
    public void apply() {
        List<Integer> held = new ArrayList<>();
        try {
            int dir = data.rootFd();
            Stat s = Fd.stat(dir, data.path());
            int own = open(s);
            held.add(own);
            if (!Fd.tryLock(own, Fd.LOCK_EX, data.path())) {
                throw refused(Fd.tryLock(own, Fd.LOCK_SH, data.path()) ? "holds the data dir of a live rocker"
                        : "is in use by rocker " + holder(own));
            }
            Fd.rewrite(own, rocker + "\n" + data.path() + "\n", "the lock of " + data.path());
            lockAncestors(dir, s, held);
            int[] fds = new int[held.size() + 1];
            fds[0] = statusSocket;
            for (int i = 0; i < held.size(); i++) fds[i + 1] = held.get(i);
            Posix.send(control, new byte[] {'H', 0}, fds);
        } finally {
            // the guard has its own copies now (or, on a failure, the locks are let go with ours)
            held.forEach(Posix::close);
        }
    }

    /** A shared lock on every dir above the data dir (as this namespace has them now: the host's). */
    private void lockAncestors(int dataDir, Stat dataStat, List<Integer> held) {
        int current = Fd.openat(dataDir, ".", Fd.O_PATH | Fd.O_DIRECTORY, 0, data.path());
        Stat below = dataStat;
        try {
            for (int depth = 0;; depth++) {
                int parent = Fd.openat(current, "..", Fd.O_PATH | Fd.O_DIRECTORY | Fd.O_NOFOLLOW, 0, "a dir above " + data.path());
                Posix.close(current);
                current = parent;
                Stat s = Fd.stat(current, "a dir above " + data.path());
                if (s.dev == below.dev && s.ino == below.ino) return; // "/" is its own parent
                if (depth >= MAX_DEPTH) {
                    throw new RockerException(RockerError.PARAM_INVALID, "app_data_dir '" + data.path()
                            + "': lies deeper than " + MAX_DEPTH + " dirs");
                }
                int lock = open(s);
                held.add(lock);
                if (!Fd.tryLock(lock, Fd.LOCK_SH, data.path())) {
                    throw refused("lies in the data dir of rocker " + holder(lock));
                }
                below = s;
            }
        } finally {
            Posix.close(current);
        }
    }

    private int open(Stat dir) {
        String name = Long.toHexString(dir.dev) + "-" + Long.toHexString(dir.ino) + ".lock";
        return Fd.openat(locksDir, name, Posix.O_RDWR | Posix.O_CREAT | Fd.O_NOFOLLOW, 0600, "the data-dir lock " + name);
    }

    /** The holder's name, as it wrote it when it took its exclusive lock. */
    private static String holder(int lock) {
        try {
            String text = Fd.readStart(lock, 256, "a data-dir lock");
            int nl = text.indexOf('\n');
            return nl > 0 ? text.substring(0, nl) : "?";
        } catch (SysException e) {
            return "?";
        }
    }

    private RockerException refused(String why) {
        return new RockerException(RockerError.PARAM_INVALID, "app_data_dir '" + data.path() + "': " + why);
    }
}
