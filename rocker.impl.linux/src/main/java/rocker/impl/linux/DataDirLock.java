package rocker.impl.linux;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.impl.linux.sys.Fd;
import rocker.impl.linux.sys.Posix;
import rocker.impl.linux.sys.Stat;

/**
 * One rocker per data dir, no data dir inside another, and no overlay layer in two rockers
 * (docs/engine.md, "Crash consistency"), held by the rocker itself. Two steps of the mount plan lock
 * files in {@code <state dir>/locks/} ({@link LockFiles}) named by the <em>opened</em> dirs' device and
 * inode, so any path to a dir (a symbolic link, a bind mount, a rename) meets the same lock, and
 * nothing in the user's dir can beat it:
 * <ol>
 * <li>after the data dir is opened: the data dir exclusively and each dir above it shared, up to /. A
 * second rocker on the same dir, on a dir above it (its exclusive lock meets the first's shared one) or
 * below it (its shared lock meets the first's exclusive one) is refused;</li>
 * <li>after its dirs are made: each overlay's upper and work dir exclusively (a user who moves
 * {@code upper/} and {@code work/} of a live rocker's data dir into another data dir is refused).</li>
 * </ol>
 * Refusals are {@code param_invalid} naming {@code app_data_dir}. Then the locks go to the guard ("H",
 * with the rocker's status socket), which holds them for its life: the kernel releases them when it
 * dies, whoever kills it and whatever became of the server.
 */
final class DataDirLock implements AutoCloseable {
    /** Dirs above a data dir that are locked; a deeper data dir is refused. */
    static final int MAX_DEPTH = 48;

    private final String rocker;
    private final DataDir data;
    private int locksDir;
    private final int statusSocket;
    private final int control;
    private final boolean forkAhead;
    private final List<Integer> held = new ArrayList<>();
    /** The lock files this build locked: a refused or failed build removes those nobody holds ({@link #discard}). */
    private final List<String> locked = new ArrayList<>();

    /**
     * For rocker {@code rocker}: {@code locksDir} the opened lock dir (this lock's own copy, closed by
     * {@link #close}: the build may outlive the engine's), {@code statusSocket} the rocker's
     * listening status socket and {@code control} its guard's control socket (neither is closed here);
     * {@code forkAhead}: the hand-over tells the guard it may fork the app's process now ({@link GuardMessage#hold(boolean)}).
     */
    DataDirLock(String rocker, DataDir data, int locksDir, int statusSocket, int control, boolean forkAhead) {
        this.forkAhead = forkAhead;
        this.rocker = rocker;
        this.data = data;
        this.locksDir = locksDir;
        this.statusSocket = statusSocket;
        this.control = control;
    }

    /** Step 1, right after the data dir is opened. */
    MountOp dataDirStep() {
        return MountOp.of("lock the data dir " + data.path(), this::lockDataDir);
    }

    /** Step 2, once the data dir's dirs are made: the layers, then the hand-over to the guard. */
    MountOp layersStep() {
        return MountOp.of("lock the overlay layers in " + data.path(), this::lockLayersAndHandOver);
    }

    private void lockDataDir() {
        int dir = data.rootFd();
        Stat own = Fd.stat(dir, data.path());
        // the whole chain first: nothing is created for a request that is refused for its depth
        List<Stat> above = ancestors(dir, own);
        LockFiles.Lock l = hold(LockFiles.lock(locksDir, own, Fd.LOCK_EX, false));
        if (!l.taken) {
            throw refused(Fd.tryLock(l.fd, Fd.LOCK_SH, data.path()) ? "holds the data dir of a live rocker"
                    : "is in use by rocker " + LockFiles.holder(l.fd));
        }
        l.write(rocker + "\n" + data.path() + "\n", "the lock of " + data.path());
        for (Stat s : above) {
            LockFiles.Lock a = hold(LockFiles.lock(locksDir, s, Fd.LOCK_SH, true));
            if (!a.taken) throw refused("lies in the data dir of rocker " + LockFiles.holder(a.fd));
        }
    }

    private void lockLayersAndHandOver() {
        for (Map.Entry<String, Integer> layer : data.layers().entrySet()) {
            LockFiles.Lock l = hold(LockFiles.lock(locksDir, Fd.stat(layer.getValue(), layer.getKey()), Fd.LOCK_EX, false));
            if (!l.taken) throw refused(layer.getKey() + " is in use by rocker " + LockFiles.holder(l.fd));
            l.write(rocker + "\n" + data.path() + "/" + layer.getKey() + "\n", "the lock of " + layer.getKey());
        }
        int[] fds = new int[held.size() + 1];
        fds[0] = statusSocket;
        for (int i = 0; i < held.size(); i++) fds[i + 1] = held.get(i);
        Posix.send(control, GuardMessage.hold(forkAhead), fds);
        letGo(); // the guard has its own copies now
    }

    private LockFiles.Lock hold(LockFiles.Lock l) {
        held.add(l.fd);
        locked.add(l.name);
        return l;
    }

    /** The dirs above the data dir (as this namespace has them now: the host's), nearest first. */
    private List<Stat> ancestors(int dataDir, Stat dataStat) {
        List<Stat> out = new ArrayList<>();
        int current = Fd.openat(dataDir, ".", Fd.O_PATH | Fd.O_DIRECTORY, 0, data.path());
        Stat below = dataStat;
        try {
            for (;;) {
                int parent = Fd.openat(current, "..", Fd.O_PATH | Fd.O_DIRECTORY | Fd.O_NOFOLLOW, 0, "a dir above " + data.path());
                Posix.close(current);
                current = parent;
                Stat s = Fd.stat(current, "a dir above " + data.path());
                if (s.dev == below.dev && s.ino == below.ino) return out; // "/" is its own parent
                if (out.size() >= MAX_DEPTH) {
                    throw new RockerException(RockerError.PARAM_INVALID, "app_data_dir '" + data.path()
                            + "': lies deeper than " + MAX_DEPTH + " dirs");
                }
                out.add(s);
                below = s;
            }
        } finally {
            Posix.close(current);
        }
    }

    private RockerException refused(String why) {
        return new RockerException(RockerError.PARAM_INVALID, "app_data_dir '" + data.path() + "': " + why);
    }

    /** Lets go of the locks this build still holds (after the hand-over, none). */
    private void letGo() {
        held.forEach(Posix::close);
        held.clear();
    }

    /** The end of the build: what it still holds and its copy of the lock dir. */
    @Override
    public void close() {
        letGo();
        if (locksDir >= 0) Posix.close(locksDir);
        locksDir = -1;
    }

    /**
     * After a refused or failed build, once its guard is gone (so that no copy of these locks is held by
     * it): lets go of what the build still holds and removes the lock files it locked that nobody holds now,
     * those it made and those of the dirs above that others made (a file another rocker holds stays: only
     * the holder of a file's exclusive lock unlinks it). Costs what the build locked, not what the lock
     * dir holds.
     */
    void discard() {
        letGo();
        if (locksDir >= 0) {
            for (String name : locked) LockFiles.removeIfFree(locksDir, name);
        }
        locked.clear();
    }
}
