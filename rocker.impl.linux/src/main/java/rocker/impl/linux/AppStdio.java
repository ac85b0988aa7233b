package rocker.impl.linux;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import rocker.api.RockerApp;
import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.api.RockerRequest;
import rocker.api.Stdio;
import rocker.impl.linux.sys.Errno;
import rocker.impl.linux.sys.Posix;
import rocker.impl.linux.sys.SysException;

/**
 * The three descriptors the app gets as stdin, stdout and stderr, opened on the host before the
 * guard starts; and, for {@link Stdio.Kind#STREAM}, the threads that copy pipes into the caller's
 * streams. Close it once the guard holds its copies.
 */
final class AppStdio implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AppStdio.class);
    private final int[] fds = {-1, -1, -1};
    private final List<Integer> ours = new ArrayList<>();
    private final List<Runnable> pumps = new ArrayList<>();
    private final List<Integer> readEnds = new ArrayList<>();
    private final List<String> createdFiles = new ArrayList<>();
    private String rocker = "";

    static AppStdio open(RockerApp app, RockerRequest request, DataDir data) {
        AppStdio s = new AppStdio();
        try {
            s.fds[0] = s.input(app.stdin());
            s.fds[1] = s.output(app.stdout(), 1, data.log("stdout.log"), request);
            s.fds[2] = s.output(app.stderr(), 2, data.log("stderr.log"), request);
            return s;
        } catch (SysException e) {
            s.close();
            s.closeReadEnds();
            s.removeCreatedEmptyFiles();
            throw new RockerException(RockerError.SYS, "cannot open the app's stdio: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            s.close();
            s.closeReadEnds();
            s.removeCreatedEmptyFiles();
            throw e;
        }
    }

    int[] fds() {
        return fds.clone();
    }

    private int input(Stdio s) {
        switch (s.kind()) {
            case INHERIT:
                return 0;
            case FILE:
                return own(Posix.open(s.path(), Posix.O_RDONLY, 0));
            case DISCARD:
                return own(Posix.open("/dev/null", Posix.O_RDONLY, 0));
            default:
                throw new RockerException(RockerError.PARAM_INVALID, "stdin '" + s + "': only DISCARD, INHERIT and FILE can be read");
        }
    }

    private int output(Stdio s, int which, String logFile, RockerRequest r) {
        switch (s.kind()) {
            case INHERIT:
                return which;
            case DISCARD:
                return own(Posix.open("/dev/null", Posix.O_WRONLY, 0));
            case LOG:
                return own(appendTo(logFile, r));
            case FILE:
                if (!s.path().startsWith("/")) {
                    throw new RockerException(RockerError.PARAM_INVALID, (which == 1 ? "stdout" : "stderr") + " '"
                            + s.path() + "': must be an absolute path");
                }
                return own(appendTo(s.path(), r));
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

    /** The rocker could not be built: removes the files we created while they are still empty. */
    void removeCreatedEmptyFiles() {
        for (String f : createdFiles) {
            try {
                java.nio.file.Path p = java.nio.file.Path.of(f);
                if (java.nio.file.Files.size(p) == 0) java.nio.file.Files.delete(p);
            } catch (IOException ignored) {
                // keep it
            }
        }
        createdFiles.clear();
    }

    /** Opens for appending; a file it creates belongs to the app's uid/gid. */
    private int appendTo(String path, RockerRequest r) {
        try {
            int fd = Posix.open(path, Posix.O_WRONLY | Posix.O_APPEND | Posix.O_CREAT | Posix.O_EXCL, 0640);
            createdFiles.add(path);
            Posix.fchown(fd, r.uid(), r.gid(), path);
            return fd;
        } catch (SysException e) {
            if (e.errno() != Errno.EEXIST) throw e;
            return Posix.open(path, Posix.O_WRONLY | Posix.O_APPEND, 0);
        }
    }

    private int own(int fd) {
        ours.add(fd);
        return fd;
    }

    /** The guard started and holds its copies: start copying the pipes into the caller's streams. */
    void startPumps(String rocker) {
        this.rocker = rocker;
        pumps.forEach(Runnable::run);
        readEnds.clear();
    }

    private void startPump(int fd, OutputStream out, String which) {
        Thread t = new Thread(() -> pump(fd, out), "rocker-std" + which + "-" + rocker);
        t.setDaemon(true);
        t.start();
    }

    private static void pump(int fd, OutputStream out) {
        try {
            for (;;) {
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

    /** The rocker could not be built: the read ends of the pipes are not needed any more. */
    void closeReadEnds() {
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
