package rocker.server.testing;

import java.io.IOException;
import java.util.concurrent.ThreadLocalRandom;

/** A real unprivileged user made with useradd for one test; {@link #close()} removes it and its group. */
public final class TestUser implements AutoCloseable {
    public final String name;
    public final int uid;
    public final int gid;

    private TestUser(String name, int uid, int gid) {
        this.name = name;
        this.uid = uid;
        this.gid = gid;
    }

    public static TestUser create() throws IOException, InterruptedException {
        String name = "rk-s" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 30), 36);
        run("useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", name);
        return new TestUser(name, Integer.parseInt(run("id", "-u", name).trim()), Integer.parseInt(run("id", "-g", name).trim()));
    }

    @Override
    public void close() throws IOException, InterruptedException {
        new ProcessBuilder("pkill", "-KILL", "-u", Integer.toString(uid)).start().waitFor();
        run("userdel", name);
        if (new ProcessBuilder("getent", "group", name).start().waitFor() == 0) run("groupdel", name);
    }

    private static String run(String... argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) throw new IOException(String.join(" ", argv) + ": " + out);
        return out;
    }
}
