package rocker.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A real unprivileged user of this host, made with useradd for one test and removed (with its group)
 * by {@link #close()}: the hostile local user of docs/security.md.
 */
public final class HostUser implements AutoCloseable {
    public final String name;
    public final int uid;
    public final int gid;

    /** The user {@link #create} just made, with its ids as id(1) reports them. */
    private HostUser(String name) throws IOException, InterruptedException {
        this.name = name;
        this.uid = Integer.parseInt(run("id", "-u", name).trim());
        this.gid = Integer.parseInt(run("id", "-g", name).trim());
    }

    /** A new system user (and group of its own) named {@code prefix} and a random suffix, without a home. */
    public static HostUser create(String prefix) throws IOException, InterruptedException {
        String name = prefix + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 30), 36);
        run("useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", name);
        return new HostUser(name);
    }

    /** A dir of this user (mode 0755) under {@code parent}. */
    public Path home(Path parent) throws IOException {
        Path home = Files.createDirectory(parent.resolve("home-" + name));
        chown(home);
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-xr-x"));
        return home;
    }

    /** Gives {@code p} (a link itself, not its target) to this user and group. */
    public void chown(Path p) throws IOException {
        Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * {@code command} run as this user (setpriv, no supplementary groups). setpriv finds its command while
     * still root: a shell of the user's execs it.
     */
    public List<String> command(List<String> command) {
        List<String> argv = new ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups", "--",
                "/bin/sh", "-c", "exec \"$0\" \"$@\""));
        argv.addAll(command);
        return argv;
    }

    /** Runs a command as this user: its exit code and output (stdout and stderr). */
    public String[] runAs(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command(List.of(command))).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        return new String[] {Integer.toString(p.waitFor()), out};
    }

    @Override
    public void close() throws IOException, InterruptedException {
        run("userdel", name);
        if (!run("getent", "group", name).isEmpty()) {
            run("groupdel", name);
        }
    }

    private static String run(String... argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        int rc = p.waitFor();
        if (rc != 0 && !argv[0].equals("getent")) {
            throw new IOException(String.join(" ", argv) + ": exit " + rc + ": " + out);
        }
        return rc == 0 ? out : "";
    }
}
