package rocker.cli.internal;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.osgi.framework.launch.Framework;

/**
 * The private temp dir that {@code ./rocker} gives each launcher JVM as {@code java.io.tmpdir}:
 * {@code TMPDIR/rocker-tmp.PIDNS.PID.START.RANDOM}, named after the pid namespace, pid and start time of
 * the JVM itself. The bnd launcher's framework storage, the jars its pre-launcher unpacks and jffi's
 * library are in it. It is removed when the JVM ends ({@link #removeOnExit}); the dir of a JVM that was
 * killed is removed by the next {@code ./rocker} (docs/launcher.md).
 *
 * <p>The removal runs in a shutdown hook, when the framework may have stopped already and the bundle's
 * class loader can no longer load classes: it uses only this class and the JDK, and this class is
 * loaded when the hook is installed.
 */
final class LauncherTmp implements Runnable {
    private static final Pattern NAME = Pattern.compile("rocker-tmp\\.(\\d+)\\.(\\d+)\\.(\\d+)\\.[A-Za-z0-9]+");
    /** How long the removal waits for the framework to stop (serve) before it removes the dir anyway. */
    static final long STOP_MILLIS = 5000;

    /** The hook of this JVM (one per bundle revision: a re-activated component does not add another). */
    private static LauncherTmp installed;

    private final Path dir;
    private volatile Framework stopping;

    private LauncherTmp(Path dir) {
        this.dir = dir;
    }

    /**
     * This JVM's private temp dir: {@code tmpdir} when its name is that of a dir {@code ./rocker} made for
     * this very process (our pid namespace, pid and start time) and it is a real dir (not a symlink) of
     * our own uid; else empty (e.g. {@code java -jar rocker.jar}, where {@code java.io.tmpdir} is shared).
     */
    static Optional<Path> own(String tmpdir) {
        if (tmpdir == null || tmpdir.isEmpty()) {
            return Optional.empty();
        }
        try {
            Path dir = Path.of(tmpdir).toAbsolutePath().normalize();
            Path name = dir.getFileName();
            Matcher m = name == null ? null : NAME.matcher(name.toString());
            if (m == null || !m.matches()) {
                return Optional.empty();
            }
            Path self = Path.of("/proc/self");
            String stat = Files.readString(self.resolve("stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            String ns = Files.readSymbolicLink(self.resolve("ns/pid")).toString().replaceAll("\\D", "");
            if (!m.group(1).equals(ns) || !m.group(2).equals(Long.toString(ProcessHandle.current().pid()))
                    || !m.group(3).equals(fields[19])) {
                return Optional.empty();
            }
            BasicFileAttributes a = Files.readAttributes(dir, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            Object owner = Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            // /proc/self belongs to the process's effective uid
            Object us = Files.getAttribute(self, "unix:uid");
            return a.isDirectory() && !a.isSymbolicLink() && owner.equals(us) ? Optional.of(dir) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * Removes this JVM's private temp dir when the JVM ends (a shutdown hook), if it has one. Returns the
     * handle that makes the removal wait for a framework stop first, or null without a private dir.
     */
    static synchronized LauncherTmp removeOnExit(String tmpdir) {
        if (installed != null) {
            return installed;
        }
        Optional<Path> dir = own(tmpdir);
        if (dir.isEmpty()) {
            return null;
        }
        LauncherTmp hook = new LauncherTmp(dir.get());
        try {
            Runtime.getRuntime().addShutdownHook(new Thread(hook, "rocker-tmp-removal"));
        } catch (IllegalStateException e) {
            return null; // the JVM is ending already
        }
        installed = hook;
        return hook;
    }

    /**
     * The framework is stopped at exit ({@code rocker serve}): the dir, which holds the framework storage,
     * is removed once the stop is done (or after {@value #STOP_MILLIS} ms).
     */
    void afterStopOf(Framework framework) {
        stopping = framework;
    }

    @Override
    public void run() {
        Framework f = stopping;
        if (f != null) {
            try {
                f.waitForStop(STOP_MILLIS);
            } catch (InterruptedException | RuntimeException e) {
                // remove it anyway: the JVM is ending
            }
        }
        delete(dir, TimeUnit.SECONDS.toNanos(2) + System.nanoTime());
    }

    /**
     * Removes {@code path} and everything under it without following symlinks (a symlink is removed, never
     * its target). Files that vanish meanwhile (the bnd launcher removes its storage in a hook of its own)
     * and any error are ignored: the JVM is ending, and the next {@code ./rocker} removes what is left.
     */
    static void delete(Path path, long deadline) {
        if (System.nanoTime() - deadline > 0) {
            return;
        }
        try {
            if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                try (DirectoryStream<Path> entries = Files.newDirectoryStream(path)) {
                    for (Path e : entries) {
                        delete(e, deadline);
                    }
                }
            }
            Files.deleteIfExists(path);
        } catch (IOException | RuntimeException e) {
            // see above
        }
    }
}
