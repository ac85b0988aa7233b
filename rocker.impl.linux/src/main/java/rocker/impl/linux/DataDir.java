package rocker.impl.linux;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import rocker.api.RockerCaller;
import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.api.RockerRequest;
import rocker.impl.linux.sys.Credentials;
import rocker.impl.linux.sys.Errno;
import rocker.impl.linux.sys.Fd;
import rocker.impl.linux.sys.Posix;
import rocker.impl.linux.sys.Stat;
import rocker.impl.linux.sys.SysException;

/**
 * A rocker's data dir, opened once and then used only through descriptors (docs/security.md). Layout
 * (docs/engine.md):
 * <pre>
 *   DATA/upper/NAME   the overlay's upper dir for overlay dir /NAME: every write of the app there
 *   DATA/work/NAME    overlayfs' work dir for /NAME (kernel-private)
 *   DATA/log/         stdout.log and stderr.log of the app (Stdio.log())
 *   DATA/tmp, DATA/run  the app's own /tmp and /run (unless the request overlays them)
 * </pre>
 * Runs on the mount thread, inside the rocker's mount namespace (overlayfs only takes layers that are
 * mounts of the namespace it is mounted in), before any overlay is mounted. The data dir itself is
 * opened, and created when missing, <em>with the caller's credentials</em> and must not be a symbolic
 * link; a user's data dir must be its own. Everything below it is created and opened relative to its
 * descriptor without following any symbolic link, and modes and owners are set on the opened
 * descriptors. What this rocker created is removed again if it cannot be built, while empty: nothing
 * is ever lost from a data dir.
 */
final class DataDir implements AutoCloseable {
    private final String path;
    private final RockerCaller caller;
    private final List<Integer> fds = new ArrayList<>();
    private final Map<String, Integer> uppers = new LinkedHashMap<>();
    private final Map<String, Integer> works = new LinkedHashMap<>();
    private final Map<String, Integer> privates = new LinkedHashMap<>();
    /** What this build created beneath the data dir, newest first (relative names); removed again while empty. */
    private final Deque<String> created = new ArrayDeque<>();
    private boolean createdRoot;
    private int root = -1;
    private int log = -1;
    private int hostLog = -1;
    private int hostRootFd = -1;

    DataDir(RockerRequest request, RockerCaller caller) {
        this.path = request.dataDir();
        this.caller = caller;
    }

    String path() {
        return path;
    }

    /** The opened data dir (after {@link #open()}). */
    int rootFd() {
        return root;
    }

    /** Opens (and creates when missing) the data dir itself, with the caller's credentials. */
    void open() {
        int slash = path.lastIndexOf('/');
        String parentPath = slash == 0 ? "/" : path.substring(0, slash);
        String leaf = path.substring(slash + 1);
        int[] opened = caller.isEngine() ? openRoot(parentPath, leaf)
                : Credentials.onThisThread(caller.uid(), caller.gid(), caller.groups(), () -> openRoot(parentPath, leaf));
        Posix.close(opened[0]);
        root = own(opened[1]);
        createdRoot = opened[2] == 1;
        if (!caller.isEngine()) {
            Stat s = Fd.stat(root, path);
            if (s.uid != caller.uid()) {
                throw denied("must be a dir of uid " + caller.uid() + " (it belongs to uid " + s.uid + ")");
            }
        }
    }

    /** parent fd, data dir fd, 1 when it was created. */
    private int[] openRoot(String parentPath, String leaf) {
        int parent;
        try {
            parent = caller.isEngine() ? Posix.open(parentPath, Posix.O_RDONLY | Fd.O_DIRECTORY, 0)
                    : Fd.openNoMagicLinks(parentPath, Posix.O_RDONLY | Fd.O_DIRECTORY, 0);
        } catch (SysException e) {
            if (e.errno() != Errno.ENOENT || !caller.isEngine()) throw pathError(e, "its parent dir " + parentPath);
            parent = createParents(parentPath);
        }
        try {
            boolean created = Fd.mkdirat(parent, leaf, 0755, path);
            int fd = Fd.openDir(parent, leaf, path);
            return new int[] {parent, fd, created ? 1 : 0};
        } catch (SysException e) {
            Posix.close(parent);
            throw pathError(e, null);
        }
    }

    /**
     * For a root client (the original's behaviour): the missing parents of its data dir, root 0755. Its
     * paths are its own; existing components are followed as the host has them.
     */
    private int createParents(String parentPath) {
        // one name at a time through the libc bindings (java.nio cannot name a non-ASCII path in a JVM
        // without a UTF-8 locale); mode 0755 under the mount worker's umask 022
        int dir = Posix.open("/", Posix.O_RDONLY | Fd.O_DIRECTORY, 0);
        try {
            for (String name : parentPath.split("/")) {
                if (name.isEmpty()) continue;
                boolean made = Fd.mkdirat(dir, name, 0755, parentPath);
                // an existing name is followed as the host has it; one just made must be the dir made (root's,
                // 0755), not one a user renamed in its place in a parent it can write
                int next = Fd.openat(dir, name, Posix.O_RDONLY | Fd.O_DIRECTORY | (made ? Fd.O_NOFOLLOW : 0), 0, parentPath);
                Posix.close(dir);
                dir = next;
                Stat st = made ? Fd.stat(dir, parentPath) : null;
                if (st != null && (st.uid != 0 || (st.permissions() & 022) != 0)) {
                    Posix.close(dir);
                    throw new RockerException(RockerError.BUILD_ROCKER_FAILED, "cannot create " + parentPath + " for the data dir "
                            + path + ": " + name + " was replaced while it was made");
                }
            }
            return dir;
        } catch (SysException e) {
            Posix.close(dir);
            if (e.errno() == Errno.ENOTDIR) throw pathError(e, "its parent dir " + parentPath);
            throw new RockerException(RockerError.BUILD_ROCKER_FAILED, "cannot create " + parentPath + " for the data dir "
                    + path + ": " + e.getMessage(), e);
        }
    }

    /** The data dir this build made, removed while empty, by its name in its parent, with the caller's credentials. */
    private void removeEmptyDataDir() {
        int slash = path.lastIndexOf('/');
        String parentPath = slash == 0 ? "/" : path.substring(0, slash);
        String leaf = path.substring(slash + 1);
        Stat made = Fd.stat(root, path);
        java.util.function.Supplier<Boolean> rmdir = () -> {
            // the host's view (the rocker's mounts of it may be read-only by now), its parent opened as when it
            // was made (a user's with no /proc magic link followed); the name removed only while it is that dir
            int parent = caller.isEngine() ? Posix.open(parentPath, Posix.O_RDONLY | Fd.O_DIRECTORY, 0)
                    : Fd.openNoMagicLinks(parentPath, Posix.O_RDONLY | Fd.O_DIRECTORY, 0);
            try {
                return Fd.unlinkIfStill(parent, leaf, made, Fd.AT_REMOVEDIR, path);
            } finally {
                Posix.close(parent);
            }
        };
        // rollback runs on the engine's thread: a thread of its own for a user's credentials
        if (caller.isEngine()) rmdir.get();
        else Credentials.as(caller.uid(), caller.gid(), caller.groups(), rmdir);
    }

    /**
     * Removes dir {@code name} in {@code parent} and the dirs in it (16 levels, 10,000 names at most: the
     * user who owns them could keep making empty dirs while they are removed), if it holds nothing else;
     * never follows a link.
     */
    private static boolean removeEmptyTree(int parent, String name) {
        return removeEmptyTree(parent, name, 16, new int[] {10_000});
    }

    private static boolean removeEmptyTree(int parent, String name, int levels, int[] budget) {
        if (levels == 0 || --budget[0] < 0) return false;
        int fd;
        try {
            fd = Fd.openDir(parent, name, name);
        } catch (SysException e) {
            return false;
        }
        boolean empty = true;
        try {
            // stops at the first child that stays: the dir cannot be removed then
            empty = Fd.forEachName(fd, name, child -> removeEmptyTree(fd, child, levels - 1, budget));
        } catch (RuntimeException e) {
            empty = false;
        } finally {
            Posix.close(fd);
        }
        return empty && Fd.unlinkat(parent, name, Fd.AT_REMOVEDIR);
    }

    /**
     * Creates and opens {@code upper/}, {@code work/}, the upper and work dir of every overlay dir and
     * {@code log/}. A user's {@code upper/}, {@code work/} and {@code log/} are its own; a root
     * client's {@code upper/} and {@code work/} are root's, mode 0700 (a uid-0 app may leave setuid-root
     * files there). The upper dir of /NAME gets the owner and mode of the host's /NAME.
     */
    void prepare(List<String> overlayDirs, List<String> privateDirs) {
        boolean user = !caller.isEngine();
        // 0700 for users too: a world-writable dir an app copies up (/var/tmp) must not be reachable by
        // other host users, who could nest a data dir of theirs in this one and so block it
        int upper = user ? usersDir("upper", 0700) : dir(root, "upper", "upper", 0, 0, 0700, true);
        int work = user ? usersDir("work", 0700) : dir(root, "work", "work", 0, 0, 0700, true);
        for (String d : overlayDirs) {
            String name = d.substring(1);
            Stat host = hostDir(d);
            uppers.put(d, dir(upper, name, "upper/" + name, host.uid, host.gid, host.permissions(), false));
            works.put(d, dir(work, name, "work/" + name, 0, 0, 0700, false));
        }
        log = user ? usersDir("log", 0755) : dir(root, "log", "log", 0, 0, 0755, false);
        if (!user && Fd.stat(log, path).uid != 0) {
            // a root client's logs are made as root and given to the app's uid: only in a dir of root's
            throw invalid("log belongs to uid " + Fd.stat(log, path).uid + ", not to root");
        }
        if (privateDirs.isEmpty()) return;
        // in a dir only root can enter: the rocker's /tmp is world-writable, and on the host no other user
        // may reach it (to read it, or to nest a data dir in this one and so block it)
        int priv = dir(root, "private", "private", 0, 0, 0700, true);
        for (String d : privateDirs) {
            String name = d.substring(1);
            // like the host's: /tmp world-writable with the sticky bit, /run root's; set on every build (as a
            // host's boot does), so that a build killed between mkdir and chmod by an older engine leaves no
            // /tmp the app cannot use
            privates.put(d, dir(priv, name, "private/" + name, 0, 0, d.equals("/tmp") ? 01777 : 0755, true));
        }
    }

    private static Stat hostDir(String dir) {
        int fd = Fd.openDir(Fd.AT_FDCWD, dir, dir);
        try {
            return Fd.stat(fd, dir);
        } finally {
            Posix.close(fd);
        }
    }

    /**
     * A dir of the user's own ({@code upper/}, {@code work/}, {@code log/} of a user's data dir), created
     * and opened with the user's credentials on this (mount) thread, so nothing is ever chowned; an
     * existing one must be the user's.
     */
    private int usersDir(String name, int mode) {
        String what = path + "/" + name;
        int fd;
        try {
            fd = own(Credentials.onThisThread(caller.uid(), caller.gid(), caller.groups(), () -> {
                boolean made = Fd.mkdirat(root, name, mode, what);
                int opened = Fd.openDir(root, name, what);
                if (made) created.push(name);
                return opened;
            }));
        } catch (SysException e) {
            throw pathError(e, name);
        }
        Stat s = Fd.stat(fd, what);
        if (s.uid != caller.uid()) {
            throw invalid(name + " belongs to uid " + s.uid + ", not to uid " + caller.uid());
        }
        if (s.permissions() != mode && name.equals("upper")) {
            Fd.fchmod(fd, mode, what); // made 0755 by earlier versions
        }
        return fd;
    }

    /**
     * The root-owned dir {@code name} in {@code parent}, which a user may be able to write (a user's data
     * dir, its upper/ and work/). An existing one is used as it is (with {@code enforce}: given the owner
     * and mode). A missing one is made in a staging dir only root can write ({@code .rocker-new-RANDOM},
     * 0700, in the same parent), given its owner and mode there, on its descriptor, and then moved into
     * place without replacing anything: a user can neither swap the dir we chown nor have us chown theirs.
     * In a parent only root can write (checked on its descriptor) it is made in place.
     */
    private int dir(int parent, String name, String relative, int uid, int gid, int mode, boolean enforce) {
        String what = path + "/" + relative;
        try {
            if (rootOnly(parent, what) && Fd.mkdirat(parent, name, mode & 01777, what)) {
                return own(madeInPlace(parent, name, relative, uid, gid, mode)); // the common case of a new data dir
            }
            int fd;
            try {
                fd = own(Fd.openDir(parent, name, what));
            } catch (SysException e) {
                if (e.errno() != Errno.ENOENT) throw e;
                return own(createStaged(parent, name, relative, uid, gid, mode));
            }
            if (enforce) {
                Posix.fchown(fd, uid, gid, what);
                Fd.fchmod(fd, mode, what);
            }
            return fd;
        } catch (SysException e) {
            throw pathError(e, relative);
        }
    }

    private int createStaged(int parent, String name, String relative, int uid, int gid, int mode) {
        String what = path + "/" + relative;
        if (rootOnly(Fd.stat(parent, what))) {
            if (!Fd.mkdirat(parent, name, mode & 01777, what)) throw invalid(relative + " appeared while it was being created");
            return madeInPlace(parent, name, relative, uid, gid, mode);
        }
        String stage = ".rocker-new-" + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong() >>> 1);
        if (!Fd.mkdirat(parent, stage, 0700, what)) throw invalid(relative + ": " + stage + " exists");
        int staging = -1;
        int fd = -1;
        try {
            staging = Fd.openDir(parent, stage, what);
            Stat st = Fd.stat(staging, what);
            if (st.uid != 0 || (st.mode & 0077) != 0) throw invalid(relative + " was replaced while it was being created");
            Fd.mkdirat(staging, name, 0700, what);
            fd = Fd.openDir(staging, name, what);
            Posix.fchown(fd, uid, gid, what);
            Fd.fchmod(fd, mode, what);
            Fd.renameNoReplace(staging, name, parent, name, what);
            created.push(relative);
            int made = fd;
            fd = -1;
            return made;
        } catch (SysException e) {
            if (e.errno() == Errno.EEXIST) throw invalid(relative + " appeared while it was being created");
            throw e;
        } finally {
            Posix.close(fd);
            if (staging >= 0) {
                Fd.unlinkat(staging, name, Fd.AT_REMOVEDIR); // still there when the move failed
                Posix.close(staging);
            }
            Fd.unlinkat(parent, stage, Fd.AT_REMOVEDIR);
        }
    }

    /**
     * Whether only root can make or move anything in this dir: root's, writable by no group and no other user
     * (an ACL granting anyone write shows as group write in the mode). No one can swap a dir made there, so it
     * is made in place (a stage costs a start ~0.2 ms a dir on ext4). A new data dir of a root client (root
     * 0755) and its upper/, work/, private/ (root 0700) are such dirs.
     */
    private static boolean rootOnly(Stat dir) {
        return dir.uid == 0 && (dir.mode & 0022) == 0;
    }

    /** Parents found {@link #rootOnly} in this build (by descriptor: only root could change that meanwhile). */
    private final java.util.Set<Integer> rootOnlyParents = new java.util.HashSet<>();

    private boolean rootOnly(int parent, String what) {
        if (rootOnlyParents.contains(parent)) return true;
        boolean only = rootOnly(Fd.stat(parent, what));
        if (only) rootOnlyParents.add(parent);
        return only;
    }

    /** The dir {@code name} just made in a {@link #rootOnly} parent, opened and given its owner and exact mode. */
    private int madeInPlace(int parent, String name, String relative, int uid, int gid, int mode) {
        String what = path + "/" + relative;
        int fd = Fd.openDir(parent, name, what);
        try {
            // mkdir gave it our ids and mode & ~022 unless the parent's setgid bit or a default ACL said
            // otherwise: what the dir has is read (one call) and only what differs is set
            Stat made = Fd.stat(fd, what);
            if (made.uid != uid || made.gid != gid) Posix.fchown(fd, uid, gid, what);
            if (made.permissions() != mode || made.uid != uid || made.gid != gid) Fd.fchmod(fd, mode, what);
        } catch (SysException e) {
            Posix.close(fd);
            Fd.unlinkat(parent, name, Fd.AT_REMOVEDIR);
            throw e;
        }
        created.push(relative);
        return fd;
    }

    /** {@code upperdir=} of the overlay on {@code dir}: a path that names the opened dir, not a name. */
    String upperOption(String dir) {
        return Fd.procPath(uppers.get(dir));
    }

    String workOption(String dir) {
        return Fd.procPath(works.get(dir));
    }

    /** The opened layers of the overlays (after {@link #prepare}), by their names in the data dir ("upper/usr"). */
    Map<String, Integer> layers() {
        Map<String, Integer> out = new LinkedHashMap<>();
        uppers.forEach((d, fd) -> out.put("upper" + d, fd));
        works.forEach((d, fd) -> out.put("work" + d, fd));
        return out;
    }

    /** The opened {@code DATA/private/tmp} or {@code DATA/private/run}: the rocker's own /tmp or /run. */
    int privateDir(String dir) {
        return privates.get(dir);
    }

    /**
     * The {@code log/} dir as the host sees it, for the app's log files. The dirs opened on the mount
     * thread are mounts of the rocker's namespace, which becomes read-only outside its overlays; the
     * logs must be written through the host's mount. So the data dir is opened once more on this
     * (host) thread, with the caller's credentials, and both it and {@code log/} beneath it must be the
     * very dirs opened before (device and inode): a swap in between is refused.
     */
    int hostLogDir() {
        if (hostLog >= 0) return hostLog;
        try {
            hostLog = own(Fd.openBeneath(hostRoot(), "log", Posix.O_RDONLY | Fd.O_DIRECTORY, 0, path + "/log"));
        } catch (SysException e) {
            throw pathError(e, "log");
        }
        same(hostLog, log, "log ");
        return hostLog;
    }

    /** The data dir opened again on this (host) thread, checked to be the one opened before. */
    private int hostRoot() {
        if (hostRootFd >= 0) return hostRootFd;
        int[] opened = caller.isEngine() ? openHost()
                : Credentials.as(caller.uid(), caller.gid(), caller.groups(), this::openHost);
        hostRootFd = own(opened[0]);
        same(hostRootFd, root, "");
        return hostRootFd;
    }

    private int[] openHost() {
        int slash = path.lastIndexOf('/');
        int parent;
        try {
            String parentPath = slash == 0 ? "/" : path.substring(0, slash);
            parent = caller.isEngine() ? Posix.open(parentPath, Posix.O_RDONLY | Fd.O_DIRECTORY, 0)
                    : Fd.openNoMagicLinks(parentPath, Posix.O_RDONLY | Fd.O_DIRECTORY, 0);
        } catch (SysException e) {
            throw pathError(e, "its parent dir");
        }
        try {
            return new int[] {Fd.openDir(parent, path.substring(slash + 1), path)};
        } catch (SysException e) {
            throw pathError(e, null);
        } finally {
            Posix.close(parent);
        }
    }

    private void same(int host, int opened, String what) {
        Stat a = Fd.stat(host, path);
        Stat b = Fd.stat(opened, path);
        if (a.dev != b.dev || a.ino != b.ino) {
            throw invalid(what + "was replaced while the rocker was being built");
        }
    }

    private int own(int fd) {
        fds.add(fd);
        return fd;
    }

    /**
     * The rocker could not be built: removes what it created, newest first, while it holds nothing but
     * empty dirs (overlayfs leaves an empty "work" in a work dir; a new exec dir may lie in DATA/tmp).
     * Through the host's view of the data dir: the rocker's own mounts of it may be read-only by now.
     */
    void rollback() {
        try {
            if (root >= 0 && !created.isEmpty()) {
                int host = hostRoot();
                while (!created.isEmpty()) {
                    String rel = created.pop();
                    int slash = rel.lastIndexOf('/');
                    if (slash < 0) {
                        removeEmptyTree(host, rel);
                        continue;
                    }
                    int parent = Fd.openBeneath(host, rel.substring(0, slash), Posix.O_RDONLY | Fd.O_DIRECTORY, 0, rel);
                    try {
                        removeEmptyTree(parent, rel.substring(slash + 1));
                    } finally {
                        Posix.close(parent);
                    }
                }
            }
            if (createdRoot) removeEmptyDataDir();
        } catch (RuntimeException | StackOverflowError e) {
            // keep it: nothing is ever lost from a data dir
        }
        created.clear();
        createdRoot = false;
    }

    /** The rocker was built: what was created now belongs to the data dir. */
    void commit() {
        created.clear();
        createdRoot = false;
    }

    @Override
    public void close() {
        fds.forEach(Posix::close);
        fds.clear();
    }

    private RockerException pathError(SysException e, String where) {
        String at = where == null ? "" : where + " ";
        switch (e.errno()) {
            case Errno.ELOOP:
                return invalid(at + "is a symbolic link (Rocker follows none in a data dir): name the real dir");
            case Errno.ENOTDIR:
                return invalid(at + "is not a dir");
            case Errno.ENOENT:
                return invalid(at + "does not exist");
            case Errno.EXDEV:
                return invalid(at + "leads out of the data dir");
            case Errno.EACCES:
            case Errno.EPERM:
                return caller.isEngine() ? new RockerException(RockerError.BUILD_ROCKER_FAILED, "app_data_dir '" + path
                        + "': " + e.getMessage(), e) : denied(at + "cannot be used by uid " + caller.uid() + " (" + e.getMessage() + ")");
            default:
                return new RockerException(RockerError.BUILD_ROCKER_FAILED, "cannot prepare the data dir " + path + ": "
                        + e.getMessage(), e);
        }
    }

    private RockerException invalid(String why) {
        return new RockerException(RockerError.PARAM_INVALID, "app_data_dir '" + path + "': " + why);
    }

    private RockerException denied(String why) {
        return new RockerException(RockerError.SYS, "permission denied: app_data_dir '" + path + "': " + why);
    }
}
