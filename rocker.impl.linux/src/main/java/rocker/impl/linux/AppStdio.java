package rocker.impl.linux;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import rocker.api.RockerApp;
import rocker.api.RockerCaller;
import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.api.RockerRequest;
import rocker.api.Stdio;
import rocker.impl.linux.sys.Credentials;
import rocker.impl.linux.sys.Errno;
import rocker.impl.linux.sys.Fd;
import rocker.impl.linux.sys.Posix;
import rocker.impl.linux.sys.Stat;
import rocker.impl.linux.sys.SysException;

/**
 * The three descriptors the app gets as stdin, stdout and stderr, opened on the host before the
 * guard starts (a bounded log's file goes to the guard, which gives the app a pipe: {@link #bounded});
 * and, for {@link Stdio.Kind#STREAM}, the threads that copy pipes into the caller's
 * streams. Close it once the guard holds its copies.
 */
final class AppStdio implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AppStdio.class);
    private final int[] fds = {-1, -1, -1};
    private final List<Integer> ours = new ArrayList<>();
    private final List<Runnable> pumps = new ArrayList<>();
    private final List<Integer> readEnds = new ArrayList<>();
    private final List<Thread> started = new ArrayList<>();
    private int stop = -1;
    private final List<Runnable> removeIfEmpty = new ArrayList<>();
    private final RockerRequest request;
    private final RockerCaller caller;
    private final DataDir data;
    private String rocker = "";
    private int logDir = -1;

    private AppStdio(RockerRequest request, RockerCaller caller, DataDir data) {
        this.request = request;
        this.caller = caller;
        this.data = data;
    }

    /**
     * Opens the app's stdio: FILE paths with the caller's credentials (so a user only gets files it could
     * open itself), never blocking on a FIFO; the logs beneath the data dir's opened {@code log/} dir.
     */
    static AppStdio open(RockerApp app, RockerRequest request, RockerCaller caller, DataDir data) {
        AppStdio s = new AppStdio(request, caller, data);
        try {
            s.fds[0] = s.input(app.stdin());
            s.fds[1] = s.output(app.stdout(), 1, "stdout.log");
            s.fds[2] = s.output(app.stderr(), 2, "stderr.log");
            if (bounded(request, app.stdout()) || bounded(request, app.stderr())) {
                s.logDir = data.hostLogDir(); // the data dir's: open until the app request is sent
            }
            return s;
        } catch (SysException e) {
            s.abort();
            throw new RockerException(RockerError.SYS, "cannot open the app's stdio: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            s.abort();
            throw e;
        }
    }

    /** What goes with the app request: stdin, stdout, stderr, and the host's log dir when a log is bounded. */
    int[] fds() {
        return logDir < 0 ? fds.clone() : new int[] {fds[0], fds[1], fds[2], logDir};
    }

    /**
     * A {@link Stdio#log()} stream with a {@link RockerRequest#logLimit()}: the guard keeps it at most that
     * many bytes, with one rotated file ({@code .1}), beneath the log dir's descriptor; the app writes into a
     * pipe the guard pumps. Rockers outlive the engine, so the guard, not the engine, keeps the bound.
     */
    static boolean bounded(RockerRequest request, Stdio s) {
        return s.kind() == Stdio.Kind.LOG && request.logLimit() > 0;
    }

    private int input(Stdio s) {
        switch (s.kind()) {
            case INHERIT:
                return 0;
            case FILE:
                notUndecodable("stdin", s.path());
                return own(asCaller(() -> openAsCaller(s.path(), Posix.O_RDONLY | Posix.O_NONBLOCK, 0), "stdin", s.path()));
            case DISCARD:
                return own(Posix.open("/dev/null", Posix.O_RDONLY, 0));
            default:
                throw new RockerException(RockerError.PARAM_INVALID, "stdin '" + s + "': only DISCARD, INHERIT and FILE can be read");
        }
    }

    private int output(Stdio s, int which, String logFile) {
        switch (s.kind()) {
            case INHERIT:
                return which;
            case DISCARD:
                return own(Posix.open("/dev/null", Posix.O_WRONLY, 0));
            case LOG:
                return own(log(logFile));
            case FILE:
                String field = which == 1 ? "stdout" : "stderr";
                if (!s.path().startsWith("/")) {
                    throw new RockerException(RockerError.PARAM_INVALID, field + " '" + s.path() + "': must be an absolute path");
                }
                notUndecodable(field, s.path());
                return own(asCaller(() -> appendTo(s.path()), field, s.path()));
            case STREAM:
                int[] pipe = Posix.pipe();
                own(pipe[1]);
                readEnds.add(pipe[0]);
                pumps.add(() -> startPump(pipe[0], s.stream(), which == 1 ? "out" : "err"));
                return pipe[1];
            default:
                throw new IllegalStateException(s.toString());
        }
    }

    /** As the request's paths (RequestRules): U+FFFD marks bytes a decoder could not read, and two such names would be one file. */
    private static void notUndecodable(String field, String path) {
        if (path.indexOf('\uFFFD') >= 0) {
            throw new RockerException(RockerError.PARAM_INVALID, field + " '" + path
                    + "': contains U+FFFD, the mark of bytes that were not UTF-8 (paths are UTF-8)");
        }
    }

    /** The rocker could not be built: removes the files we created while empty, closes everything. */
    void abort() {
        removeCreatedEmptyFiles();
        close();
        closeReadEnds();
    }

    private void removeCreatedEmptyFiles() {
        for (Runnable r : removeIfEmpty) {
            try {
                r.run();
            } catch (RuntimeException ignored) {
                // keep it
            }
        }
        removeIfEmpty.clear();
    }

    /**
     * Runs {@code open} with the caller's credentials (on a thread of its own for a user) and clears
     * O_NONBLOCK afterwards; a failure is answered naming {@code field}.
     */
    private int asCaller(java.util.function.IntSupplier open, String field, String path) {
        int fd;
        try {
            fd = caller.isEngine() ? open.getAsInt()
                    : Credentials.as(caller.uid(), caller.gid(), caller.groups(), () -> open.getAsInt());
        } catch (SysException e) {
            switch (e.errno()) {
                case Errno.EACCES:
                case Errno.EPERM:
                    throw new RockerException(RockerError.SYS, "permission denied: " + field + " '" + path + "': "
                            + (caller.isEngine() ? e.getMessage() : "uid " + caller.uid() + " may not open it"));
                case Errno.ENOENT:
                case Errno.ENOTDIR:
                case Errno.EISDIR:
                case Errno.ENXIO:
                case Errno.ELOOP:
                    throw new RockerException(RockerError.PARAM_INVALID, field + " '" + path + "': cannot be opened: " + e.getMessage());
                default:
                    throw e;
            }
        }
        try {
            Fd.clearNonBlock(fd, path);
        } catch (SysException e) {
            Posix.close(fd);
            throw e;
        }
        return fd;
    }

    /**
     * Opens a host file for appending (as the caller); a file it creates belongs to the app's uid/gid
     * and is removed again, while empty, if the rocker cannot be built.
     */
    private int appendTo(String path) {
        int flags = Posix.O_WRONLY | Posix.O_APPEND | Posix.O_NONBLOCK | Fd.O_LARGEFILE;
        try {
            int fd = openAsCaller(path, flags | Posix.O_CREAT | Posix.O_EXCL, 0640);
            if (caller.isEngine()) Posix.fchown(fd, request.uid(), request.gid(), path);
            removeIfEmpty.add(() -> removeIfEmpty(fd, path));
            return fd;
        } catch (SysException e) {
            if (e.errno() != Errno.EEXIST) throw e;
            return openAsCaller(path, flags, 0);
        }
    }

    /** A root client's path as given; a user's with no /proc magic link followed. */
    private int openAsCaller(String path, int flags, int mode) {
        return caller.isEngine() ? Posix.open(path, flags, mode) : Fd.openNoMagicLinks(path, flags, mode);
    }

    /**
     * Unlinks the file this build made at {@code path} while it is empty: its dir opened as the caller
     * opened the file (a user's with no /proc magic link followed), and the name unlinked there only
     * while it is still that file.
     */
    private void removeIfEmpty(int fd, String path) {
        Stat made = Fd.stat(fd, path);
        if (made.size != 0) return;
        int slash = path.lastIndexOf('/');
        String dir = slash == 0 ? "/" : path.substring(0, slash);
        String name = path.substring(slash + 1);
        java.util.function.Supplier<Boolean> unlink = () -> {
            int parent = openAsCaller(dir, Fd.O_PATH | Fd.O_DIRECTORY, 0);
            try {
                return Fd.unlinkIfStill(parent, name, made, 0, path);
            } finally {
                Posix.close(parent);
            }
        };
        if (caller.isEngine()) unlink.get();
        else Credentials.as(caller.uid(), caller.gid(), caller.groups(), unlink);
    }

    /**
     * {@code log/stdout.log} or {@code log/stderr.log}, opened beneath the data dir's opened log dir with
     * no symlink followed. It must be a regular file with no other link; it belongs to the app's uid/gid.
     */
    private int log(String name) {
        String what = data.path() + "/log/" + name;
        int dir = data.hostLogDir();
        boolean[] created = {false};
        java.util.function.IntSupplier open = () -> {
            int flags = Posix.O_WRONLY | Posix.O_APPEND | Posix.O_NONBLOCK | Fd.O_LARGEFILE;
            try {
                int fd = Fd.openBeneath(dir, name, flags | Posix.O_CREAT | Posix.O_EXCL, 0640, what);
                created[0] = true;
                return fd;
            } catch (SysException e) {
                if (e.errno() != Errno.EEXIST) throw e;
                return Fd.openBeneath(dir, name, flags, 0, what);
            }
        };
        int fd;
        try {
            // a user's log dir is the user's: its logs are made with its credentials and never chowned
            fd = caller.isEngine() ? open.getAsInt() : Credentials.as(caller.uid(), caller.gid(), caller.groups(), open::getAsInt);
        } catch (SysException e) {
            throw logRefused(name, e.errno() == Errno.ELOOP ? "is a symbolic link (Rocker follows none in a data dir)"
                    : e.errno() == Errno.ENXIO ? "is not a regular file" : "cannot be opened: " + e.getMessage());
        }
        try {
            Stat st = Fd.stat(fd, what);
            if (!st.isRegular()) throw logRefused(name, "is " + st.kind() + ", not a regular file");
            if (st.nlink != 1) throw logRefused(name, "has " + st.nlink + " links (a log must have no other name)");
            if (!caller.isEngine() && st.uid != caller.uid()) {
                throw logRefused(name, "belongs to uid " + st.uid + ", not to uid " + caller.uid());
            }
            if (caller.isEngine() && (st.uid != request.uid() || st.gid != request.gid())) {
                Posix.fchown(fd, request.uid(), request.gid(), what); // a root client's log dir is root's
            }
            Fd.clearNonBlock(fd, what);
            if (created[0]) {
                int file = fd;
                removeIfEmpty.add(() -> {
                    Stat made = Fd.stat(file, what);
                    if (made.size == 0) Fd.unlinkIfStill(dir, name, made, 0, what); // not a file swapped in since
                });
            }
            return fd;
        } catch (RuntimeException e) {
            Posix.close(fd);
            throw e;
        }
    }

    private RockerException logRefused(String name, String why) {
        return new RockerException(RockerError.PARAM_INVALID, "app_data_dir '" + data.path() + "': log/" + name + " " + why);
    }

    private int own(int fd) {
        ours.add(fd);
        return fd;
    }

    /** The guard started and holds its copies: start copying the pipes into the caller's streams. */
    /**
     * The guard started and holds its copies: start copying the pipes into the caller's streams, until
     * the app's end closes or {@code stop} (the engine's) becomes readable; returns the copying threads.
     */
    List<Thread> startPumps(String rocker, int stop) {
        this.rocker = rocker;
        this.stop = stop;
        pumps.forEach(Runnable::run);
        readEnds.clear();
        return started;
    }

    /** The read ends of the streamed pipes: the guard holds copies, to drain once the engine is gone. */
    int[] readEnds() {
        return readEnds.stream().mapToInt(Integer::intValue).toArray();
    }

    private void startPump(int fd, OutputStream out, String which) {
        int stopFd = stop;
        Thread t = new Thread(() -> pump(fd, out, stopFd), "rocker-std" + which + "-" + rocker);
        t.setDaemon(true);
        t.start();
        started.add(t);
    }

    private static void pump(int fd, OutputStream out, int stop) {
        try {
            for (;;) {
                short[] ready = Posix.poll(new int[] {fd, stop}, -1);
                if (ready[1] != 0) break; // the engine stops: the guard drains the pipe from now on
                byte[] chunk = Posix.read(fd, 64 * 1024);
                if (chunk.length == 0) break;
                out.write(chunk);
                out.flush();
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("app output copy ended: {}", e.toString());
        } finally {
            Posix.close(fd);
            try {
                out.close();
            } catch (IOException ignored) {
                // the caller's stream
            }
        }
    }

    private void closeReadEnds() {
        readEnds.forEach(Posix::close);
        readEnds.clear();
    }

    /** Closes the descriptors we opened (the guard has its own copies by now). */
    @Override
    public void close() {
        ours.forEach(Posix::close);
        ours.clear();
    }
}
