package rocker.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import rocker.testsupport.Canaries;
import rocker.testsupport.HostUser;
import rocker.testsupport.Images;
import rocker.testsupport.WorkDirs;

/**
 * The hostile local user of docs/security.md against the real server: a real unprivileged user (made
 * with useradd for each test) runs the `rocker` command line of the launcher jar through the server's
 * socket, and aims its request at root-only files (a root 0700 dir holding a root 0600 file). The
 * engine opens the user's paths with the user's credentials and follows no symbolic link in a data
 * dir: each attack is refused with exit 125 and {@code rocker: <err>: <message>}, no rocker is left,
 * and the root-only files keep their content, mode and owner.
 */
public class HostileUserCliIT {
    private static final Path JAR = Launcher.JAR;
    private static final String EXEC_DIR = "/srv/rocker-itest-exec";

    private Path work;
    private Path socket;
    private Path state;
    private Launcher.Server server;
    private HostUser user;
    private Path home;
    private Canaries canaries;

    @Before
    public void setUp() throws Exception {
        assertTrue("the launcher jar is built before the integration tests: " + JAR, Files.isRegularFile(JAR));
        work = WorkDirs.create(Path.of("/tmp"), "rocker-itest-hostile-");
        socket = work.resolve("rocker.sock");
        state = work.resolve("state");
        canaries = new Canaries(work);
        user = HostUser.create("rk-i");
        home = user.home(work);
        server = new Launcher.Server(socket, state, work.resolve("server.log"));
        server.start();
    }

    @After
    public void tearDown() throws Exception {
        try {
            if (server != null && server.running()) {
                // whatever the user's rockers a failed test left (listed and destroyed by root)
                Launcher.destroyAll(socket, args -> rocker(null, args));
            }
            if (server != null) {
                server.stop();
            }
        } finally {
            try {
                if (user != null) user.close();
            } finally {
                WorkDirs.deleteQuietly(work);
            }
        }
    }

    /** A data dir with log/stdout.log planted as the user's symlink to the root-only file: never followed. */
    @Test
    public void aLogPlantedAsASymlinkToARootFileIsRefused() throws Exception {
        Path img = image();
        Path data = home.resolve("data");
        Path link = data.resolve("log").resolve("stdout.log");
        String[] made = user.runAs("/bin/sh", "-c", "mkdir \"$1\" \"$1/log\" && ln -s \"$2\" \"$3\"", "sh", data.toString(),
                canaries.file.toString(), link.toString());
        assertEquals(made[1], "0", made[0]);
        assertTrue(Files.isSymbolicLink(link));
        assertEquals(user.uid, Files.getAttribute(link, "unix:uid", LinkOption.NOFOLLOW_LINKS));

        Launcher.Run r = rocker(user, run(img, data, "--", "/bin/echo", "pwned"));
        assertFailure(r, "param_invalid", "app_data_dir '" + data + "': log/stdout.log is a symbolic link (Rocker follows none in a data dir)");
        assertFalse("the root file got the app's output", Files.readString(canaries.file).contains("pwned"));
        assertTrue("the planted link is left alone", Files.isSymbolicLink(link));
        assertHostUntouched();
    }

    /**
     * The log dir, or the data dir itself, planted as the user's symlink to the root-only dir: the engine
     * (which creates log/stdout.log as root beneath the opened log dir) follows neither.
     */
    @Test
    public void aLogDirOrDataDirPlantedAsASymlinkToARootDirIsRefused() throws Exception {
        Path img = image();
        Path data = home.resolve("data");
        Path linkedData = home.resolve("linked-data");
        String[] made = user.runAs("/bin/sh", "-c", "mkdir \"$1\" && ln -s \"$2\" \"$1/log\" && ln -s \"$2\" \"$3\"", "sh",
                data.toString(), canaries.dir.toString(), linkedData.toString());
        assertEquals(made[1], "0", made[0]);

        Launcher.Run logDir = rocker(user, run(img, data, "--", "/bin/echo", "pwned"));
        assertFailure(logDir, "param_invalid", "app_data_dir '" + data
                + "': log is a symbolic link (Rocker follows none in a data dir): name the real dir");
        assertTrue("the planted link is left alone", Files.isSymbolicLink(data.resolve("log")));

        Launcher.Run dataDir = rocker(user, run(img, linkedData, "--", "/bin/echo", "pwned"));
        assertFailure(dataDir, "param_invalid", "app_data_dir '" + linkedData
                + "': is a symbolic link (Rocker follows none in a data dir): name the real dir");
        assertHostUntouched();
    }

    /** An image only root may read: the engine opens it as the user, who may not. */
    @Test
    public void aRootOnlyImageIsNotReadForTheUser() throws Exception {
        Path img = image();
        Path secret = Files.createDirectory(work.resolve("root-images"));
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path rootOnly = Files.copy(img, secret.resolve("root-only.squashfs"));
        Files.setPosixFilePermissions(rootOnly, PosixFilePermissions.fromString("rw-------"));

        Launcher.Run r = rocker(user, run(rootOnly, home.resolve("data"), "--", "/bin/echo", "pwned"));
        assertFailure(r, "sys", "permission denied: app_pkg_path '" + rootOnly + "': not readable by uid " + user.uid);
        assertHostUntouched();
    }

    /** A FIFO of the user's as the image: refused at once, the server does not block on it. */
    @Test
    public void aFifoAsTheImageIsRefusedWithoutBlocking() throws Exception {
        Path fifo = home.resolve("image.fifo");
        String[] made = user.runAs("mkfifo", fifo.toString());
        assertEquals(made[1], "0", made[0]);

        Launcher.Run r = rocker(user, run(fifo, home.resolve("data"), "--", "/bin/echo", "pwned"));
        assertFailure(r, "param_invalid", "app_pkg_path '" + fifo + "': is a FIFO, not an image file");
        assertTrue("the refusal takes a few seconds at most: " + r, r.millis() < 20_000);
        assertHostUntouched();
    }

    /**
     * The user's own rockers work: the app's output streamed to `rocker run --wait`, and (with --json)
     * in the data dir's log; the data dir, its log dir and the log belong to the user.
     */
    @Test
    public void theUsersOwnRockerRunsAndItsDataBelongsToIt() throws Exception {
        Path img = image();

        Path data = home.resolve("data");
        Launcher.Run streamed = rocker(user, run(img, data, "--wait", "--", "/bin/echo", "hello"));
        assertEquals(streamed.toString(), 0, streamed.code());
        assertEquals(streamed.toString(), "hello\n", streamed.out());
        assertOwnedByTheUser(data);
        assertOwnedByTheUser(data.resolve("log"));

        Path logged = home.resolve("data-logged");
        Launcher.Run json = rocker(user, run(img, logged, "--wait", "--json", "--", "/bin/echo", "hello"));
        assertEquals(json.toString(), 0, json.code());
        assertTrue(json.toString(), json.out().contains("\"err_no\":0,\"err\":\"success\""));
        Path log = logged.resolve("log").resolve("stdout.log");
        assertEquals("hello\n", Files.readString(log));
        assertOwnedByTheUser(logged);
        assertOwnedByTheUser(logged.resolve("log"));
        assertOwnedByTheUser(log);
        assertFalse(Files.isSymbolicLink(log));

        // both rockers (no --rm) are the user's: listed for it, then destroyed by it
        Launcher.Run mine = rocker(user, "ls", "--socket", socket.toString(), "--json");
        assertEquals(mine.toString(), 0, mine.code());
        List<String> names = new ArrayList<>();
        for (Matcher m = Launcher.NAME.matcher(mine.out()); m.find();) {
            names.add(m.group(1));
        }
        assertEquals(mine.toString(), 2, names.size());
        assertTrue(mine.out(), mine.out().contains("\"uid\":" + user.uid + ","));
        for (String name : names) {
            Launcher.Run killed = rocker(user, "kill", "--socket", socket.toString(), name);
            assertEquals(killed.toString(), 0, killed.code());
        }
        assertHostUntouched();
    }

    /** Exit 125 and the line {@code rocker: ERR: MESSAGE} on stderr (docs/cli.md), nothing on stdout. */
    private static void assertFailure(Launcher.Run r, String err, String message) {
        assertEquals(r.toString(), 125, r.code());
        String line = "rocker: " + err + ": " + message;
        assertTrue("stderr has the line '" + line + "': " + r, r.err().lines().anyMatch(line::equals));
        assertEquals(r.toString(), "", r.out());
    }

    /** The root-only files are as they were, and root sees no rocker (none was built or all are gone). */
    private void assertHostUntouched() throws Exception {
        canaries.assertUnchanged();
        Launcher.Run all = rocker(null, "ls", "--socket", socket.toString(), "--json");
        assertEquals(all.toString(), 0, all.code());
        assertFalse("no rocker is left: " + all, Launcher.NAME.matcher(all.out()).find());
    }

    private void assertOwnedByTheUser(Path p) throws IOException {
        assertEquals(p + " belongs to the user", user.uid, Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS));
        assertEquals(p + " belongs to the user's group", user.gid, Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS));
    }

    /** A valid image every user may read, in a dir every user may search. */
    private Path image() throws Exception {
        Path dir = Files.createDirectory(work.resolve("images"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path img = Images.build(dir, "app", Map.of("app.sh", "#!/bin/sh\necho app\n"));
        Files.setPosixFilePermissions(img, PosixFilePermissions.fromString("rw-r--r--"));
        return img;
    }

    private String[] run(Path image, Path data, String... rest) {
        List<String> a = new ArrayList<>(List.of("run", "--socket", socket.toString(), "--pkg", image.toString(),
                "--exec-dir", EXEC_DIR, "--data-dir", data.toString(), "--overlay", "/srv"));
        a.addAll(List.of(rest));
        return a.toArray(new String[0]);
    }

    /** Runs `rocker ARGS` as its own process: as {@code as}, or as root when it is null. */
    private Launcher.Run rocker(HostUser as, String... args) throws Exception {
        return Launcher.run(work, as == null ? Launcher.command(args) : as.command(Launcher.command(args)));
    }

}
