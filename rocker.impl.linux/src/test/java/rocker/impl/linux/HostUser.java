package rocker.impl.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import rocker.api.RockerCaller;

/**
 * A real unprivileged user of this host, made with useradd for one test and removed (with its group)
 * by {@link #close()}: the hostile local user of docs/security.md.
 */
final class HostUser implements AutoCloseable {
    final String name;
    final int uid;
    final int gid;

    private HostUser(String name, int uid, int gid) {
        this.name = name;
        this.uid = uid;
        this.gid = gid;
    }

    static HostUser create() throws IOException, InterruptedException {
        String name = "rk-t" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 30), 36);
        run("useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", name);
        return new HostUser(name, Integer.parseInt(run("id", "-u", name).trim()), Integer.parseInt(run("id", "-g", name).trim()));
    }

    /** The engine's caller for this user, as the server makes it from SO_PEERCRED. */
    RockerCaller caller() {
        return RockerCaller.user(uid, gid, List.of(), 0);
    }

    /** A dir of this user (mode 0755) under {@code parent}. */
    Path home(Path parent) throws IOException {
        Path home = Files.createDirectory(parent.resolve("home-" + name));
        chown(home);
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-xr-x"));
        return home;
    }

    void chown(Path p) throws IOException {
        Files.setAttribute(p, "unix:uid", uid, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:gid", gid, java.nio.file.LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * Runs a command as this user (setpriv, no supplementary groups); its exit code and output. The
     * command is started by a shell of the user's: setpriv itself finds its command while still root.
     */
    String[] runAs(String... command) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups", "--",
                "/bin/sh", "-c", "exec \"$0\" \"$@\""));
        argv.addAll(List.of(command));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        return new String[] {Integer.toString(p.waitFor()), out};
    }

    @Override
    public void close() throws IOException, InterruptedException {
        run("userdel", name);
        if (!run("getent", "group", name).isEmpty()) run("groupdel", name);
    }

    private static String run(String... argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        int rc = p.waitFor();
        if (rc != 0 && !argv[0].equals("getent")) throw new IOException(String.join(" ", argv) + ": exit " + rc + ": " + out);
        return rc == 0 ? out : "";
    }
}
