package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.RuleChain;

import rocker.api.NetworkMode;
import rocker.api.RockerApp;
import rocker.api.RockerCaller;
import rocker.api.RockerError;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.testsupport.HostUser;
import rocker.testsupport.Images;
import rocker.testsupport.KernelView;
import rocker.testsupport.WorkDirs;

/**
 * The server's files are out of reach inside every rocker (docs/engine.md, "The mount plan"): the
 * engine's state dir (registry, extracted guards) and the server's socket dir are empty and read-only
 * there, also under an overlay dir, and a guard executable outside them cannot be changed, not even by
 * a uid-0 app. A symlink a user plants at a hidden dir's name in its upper dir does not move the
 * hiding tmpfs elsewhere. Each app's checks print markers to its stdout log, compared exactly.
 */
public class ServerFilesHiddenTest {
    /** The app's checks; "$X: " of the tools' messages is cut so that only the error text is left. */
    private static final String CHECKS = String.join("\n",
            "echo \"state: [$(ls -A \"$STATE\" 2>&1)]\"",
            "test -e \"$STATE/rockers/$SLEEPER.rocker\" && echo record: visible || echo record: absent",
            "test -e \"$STATE/bin/rocker-guard-0123456789abcdef\" && echo extracted guard: visible || echo extracted guard: absent",
            "echo \"socket dir: [$(ls -A \"$SOCKDIR\" 2>&1)]\"",
            "test -e \"$SOCKDIR/rocker.sock\" && echo socket: visible || echo socket: absent",
            "(echo x > \"$STATE/planted\") 2>&1 | sed 's/.*: //'",
            "mkdir \"$STATE/rockers\" 2>&1 | sed 's/.*: //'",
            "(echo x > \"$SOCKDIR/rocker.sock\") 2>&1 | sed 's/.*: //'",
            "chmod 4755 \"$GUARD\" 2>&1 | sed 's/.*: //'",
            "(echo x >> \"$GUARD\") 2>&1 | sed 's/.*: //'",
            "mv \"$GUARD\" \"$GUARD.old\" 2>&1 | sed 's/.*: //'",
            "rm -f \"$GUARD\" 2>&1 | sed 's/.*: //'",
            "echo \"guard: $(stat -c %a \"$GUARD\")\"",
            "echo done");

    /** Not under /tmp, which is the rocker's own: the app must see the server's dirs where the host has them. */
    /** The tmpfs every rocker has: its /dev and /dev/shm, and the masked kernel dirs. */
    private static final List<String> ROCKERS_OWN_TMPFS = List.of("/dev tmpfs", "/dev/shm tmpfs", "/sys/firmware tmpfs",
            "/sys/devices/virtual/powercap tmpfs", "/proc/acpi tmpfs", "/proc/asound tmpfs", "/proc/scsi tmpfs");

    private final EngineFixture fx = new EngineFixture(Path.of("/var/tmp"));
    private final Attacker attacker = new Attacker(fx);

    @Rule
    public final RuleChain rules = RuleChain.outerRule(fx).around(attacker);

    private Path socketDir;
    private ServerSocketChannel server;
    private Path guardCopy;
    private Path image;
    private Path srvDir;

    @Before
    public void setUp() throws Exception {
        // the server's socket dir, with a real listening socket
        socketDir = Files.createDirectory(fx.work.resolve("server"));
        server = listen(socketDir.resolve("rocker.sock"));
        // a guard outside the hidden dirs (a configured guardPath), and one as GuardBinary extracts it
        guardCopy = copyGuard(Files.createDirectory(fx.work.resolve("guard-bin")).resolve("rocker-guard"));
        copyGuard(Files.createDirectories(fx.stateDir.resolve("bin")).resolve("rocker-guard-0123456789abcdef"));
        image = Images.build(fx.work, "app", Map.of("marker", "good\n"));
        Files.setPosixFilePermissions(image, PosixFilePermissions.fromString("rw-r--r--"));
    }

    @After
    public void tearDown() throws Exception {
        if (server != null) server.close();
        if (srvDir != null) WorkDirs.delete(srvDir);
    }

    private static ServerSocketChannel listen(Path socket) throws IOException {
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        s.bind(UnixDomainSocketAddress.of(socket));
        return s;
    }

    private static Path copyGuard(Path to) throws IOException {
        Files.copy(Path.of(System.getProperty("rocker.guard")), to);
        Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("r-xr-xr-x"));
        return to;
    }

    /** The engine under test: one spare guard (so that both a spare and a guard of its own are used). */
    private void engine(String guard, String... hidden) {
        fx.engine.close();
        fx.engine = fx.engine(() -> guard, 1, List.of(hidden));
    }

    /** A rocker that keeps running, so that the registry holds a record while the others look for it. */
    private String sleeper() {
        RockerResult r = fx.engine.enterRocker(fx.request(image, "sleeper").uid(0).gid(0).build(), RockerApp.of("/bin/sleep", "1000"));
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        assertTrue(Files.exists(fx.stateDir.resolve("rockers/" + r.guardName() + ".rocker")));
        return r.guardName();
    }

    /** Runs {@code script} as the app of {@code request} until it ends; its exit code must be 0; its stdout. */
    private String run(RockerRequest request, RockerCaller caller, String script, Map<String, String> env) throws Exception {
        RockerApp.Builder app = RockerApp.builder().command("/bin/sh", "-c", script);
        env.forEach(app::env);
        RockerResult r = fx.engine.enterRocker(request, app.build(), caller);
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        assertEquals(0, fx.engine.waitForApp(r.guardName(), Duration.ofSeconds(20)).getAsInt());
        String out = Files.readString(Path.of(request.dataDir(), "log", "stdout.log"));
        lastMounts = KernelView.mountsOf(r.guardPid());
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
        return out;
    }

    private List<String> lastMounts;

    @Test
    public void theStateDirTheSocketDirAndTheGuardAreOutOfReachForUidZeroAndUid1000WithEachNetwork() throws Exception {
        // "/" and "/tmp" are refused (with a warning): else the app would not even see its own exec dir under /tmp
        engine(guardCopy.toString(), "/", "/tmp", socketDir.toString(), "/run/rocker");
        String sleeper = sleeper();
        Map<String, String> env = Map.of("STATE", fx.stateDir.toString(), "SOCKDIR", socketDir.toString(),
                "GUARD", guardCopy.toString(), "SLEEPER", sleeper);
        String rootView = String.join("\n",
                "state: []", "record: absent", "extracted guard: absent", "socket dir: []", "socket: absent",
                "Read-only file system", "Read-only file system", "Read-only file system",
                "Read-only file system", // chmod 4755 of the guard: uid 0 owns it, the mount says no
                "Permission denied", // 0555 and no CAP_DAC_OVERRIDE
                // renaming or removing it: its dir is on the host's read-only mount (and it is a mount point)
                "Read-only file system", "Read-only file system",
                "guard: 555", "done", "");
        String userView = String.join("\n",
                "state: []", "record: absent", "extracted guard: absent", "socket dir: []", "socket: absent",
                "Read-only file system", "Read-only file system", "Read-only file system",
                "Read-only file system", "Permission denied",
                "Read-only file system", "Read-only file system", // mv, rm: the host's mount is read-only
                "guard: 555", "done", "");
        int i = 0;
        for (NetworkMode net : new NetworkMode[] {NetworkMode.HOST, NetworkMode.NONE}) {
            for (int uid : new int[] {0, 1000}) {
                String data = "check-" + i++;
                String out = run(fx.request(image, data).uid(uid).gid(uid).network(net).build(), RockerCaller.engine(), CHECKS, env);
                assertEquals("uid " + uid + ", network " + net, uid == 0 ? rootView : userView, out);
                assertTrue(lastMounts.toString(), lastMounts.contains(fx.stateDir + " tmpfs"));
                assertTrue(lastMounts.toString(), lastMounts.contains(socketDir + " tmpfs"));
                assertTrue(lastMounts.toString(), lastMounts.stream().anyMatch(m -> m.startsWith(guardCopy + " ")));
                assertFalse("/tmp is not hidden: " + lastMounts, lastMounts.contains("/tmp tmpfs"));
            }
        }
        // the host's files are untouched, and the server still answers on its socket
        assertEquals("r-xr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(guardCopy)));
        assertFalse(Files.exists(fx.stateDir.resolve("planted")));
        assertTrue(Files.exists(fx.stateDir.resolve("rockers/" + sleeper + ".rocker")));
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socketDir.resolve("rocker.sock")))) {
            assertTrue(c.isConnected());
        }
    }

    @Test
    public void aGuardInTheHiddenStateDirIsHiddenWithIt() throws Exception {
        Path extracted = fx.stateDir.resolve("bin/rocker-guard-0123456789abcdef");
        engine(extracted.toString(), socketDir.toString());
        String out = run(fx.request(image, "extracted").uid(0).gid(0).build(), RockerCaller.engine(),
                "test -e \"$GUARD\" && echo guard: visible || echo guard: absent; ls -A \"$STATE\"; echo done",
                Map.of("GUARD", extracted.toString(), "STATE", fx.stateDir.toString()));
        assertEquals("guard: absent\ndone\n", out);
        assertTrue(lastMounts.toString(), lastMounts.contains(fx.stateDir + " tmpfs"));
        assertFalse("no bind mount of a hidden guard: " + lastMounts, lastMounts.stream().anyMatch(m -> m.startsWith(extracted + " ")));
    }

    /** A dir of the host under /srv (overlaid in these tests) holding the server's socket dir. */
    private Path srvSocketDir() throws IOException {
        srvDir = Files.createDirectory(Path.of("/srv", "rocker-test-" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 30), 36)));
        Path dir = Files.createDirectory(srvDir.resolve("server"));
        server.close();
        server = listen(dir.resolve("rocker.sock"));
        return dir;
    }

    @Test
    public void aHiddenDirUnderAnOverlayDirIsHiddenToo() throws Exception {
        Path sockDir = srvSocketDir();
        engine(guardCopy.toString(), sockDir.toString());
        String out = run(fx.request(image, "overlay", "/srv").uid(0).gid(0).build(), RockerCaller.engine(), String.join("\n",
                "echo \"socket dir: [$(ls -A \"$SOCKDIR\" 2>&1)]\"",
                "test -e \"$SOCKDIR/rocker.sock\" && echo socket: visible || echo socket: absent",
                "(echo x > \"$SOCKDIR/planted\") 2>&1 | sed 's/.*: //'",
                "echo x > \"$SOCKDIR/../beside\" && echo wrote beside it",
                "echo done"), Map.of("SOCKDIR", sockDir.toString()));
        assertEquals("socket dir: []\nsocket: absent\nRead-only file system\nwrote beside it\ndone\n", out);
        assertTrue(lastMounts.toString(), lastMounts.contains("/srv overlay"));
        assertTrue(lastMounts.toString(), lastMounts.contains(sockDir + " tmpfs"));
        // the write beside it landed in the data dir, the host's dir is as it was
        assertEquals("x\n", Files.readString(fx.work.resolve("data-overlay/upper/srv").resolve(srvDir.getFileName()).resolve("beside")));
        assertFalse(Files.exists(srvDir.resolve("beside")));
        assertEquals(List.of("rocker.sock"), names(sockDir));
    }

    @Test
    public void aSymlinkAUserPlantsAtAHiddenDirsNameDoesNotMoveTheTmpfs() throws Exception {
        Path sockDir = srvSocketDir();
        engine(guardCopy.toString(), sockDir.toString());
        HostUser user = attacker.user;
        List<String> hostMounts = KernelView.mountsOf((int) ProcessHandle.current().pid());
        // where a followed symlink would lead: dirs of root's that an app may look into
        Path decoy = Files.createDirectory(fx.work.resolve("decoy"));
        Files.writeString(decoy.resolve("decoy-file"), "decoy\n");
        Path decoyParent = Files.createDirectories(fx.work.resolve("decoy-parent/server"));
        Files.writeString(decoyParent.resolve("decoy-file"), "decoy\n");
        String name = srvDir.getFileName().toString();
        Object[][] plants = {
            {"upper/srv/" + name + "/server", decoy}, // the hidden dir's own name
            {"upper/srv/" + name, decoyParent.getParent()}, // a name on the way to it
        };
        int i = 0;
        for (Object[] p : plants) {
            Path data = attacker.home.resolve("planted-" + i++);
            Path link = data.resolve((String) p[0]);
            Files.createDirectories(link.getParent());
            for (Path d = link.getParent(); d.startsWith(data); d = d.getParent()) {
                user.chown(d);
            }
            Files.createSymbolicLink(link, (Path) p[1]);
            user.chown(link);
            RockerRequest request = RockerRequest.builder().appId(9).uid(user.uid).gid(user.gid).pkgPath(image.toString())
                    .execDir("/srv/rocker-test-exec").dataDir(data.toString()).overlayDirs("/srv").build();
            String out = run(request, Attacker.callerOf(user), String.join("\n",
                    "echo \"at the name: [$(ls -A \"$SOCKDIR\" 2>&1)]\"",
                    "test -e \"$SOCKDIR/rocker.sock\" && echo socket: visible || echo socket: absent",
                    "echo done"), Map.of("SOCKDIR", sockDir.toString()));
            assertEquals(p[0] + ": the app sees the user's link, nothing of the server's",
                    "at the name: [decoy-file]\nsocket: absent\ndone\n", out);
            List<String> tmpfs = new ArrayList<>();
            for (String m : lastMounts) {
                if (m.endsWith(" tmpfs") && !hostMounts.contains(m) && !ROCKERS_OWN_TMPFS.contains(m)) tmpfs.add(m);
            }
            assertEquals(p[0] + ": no new tmpfs but the state dir's: " + lastMounts, List.of(fx.stateDir + " tmpfs"), tmpfs);
            assertTrue("the planted link is still there", Files.isSymbolicLink(link));
        }
        assertEquals(List.of("decoy-file"), names(decoy));
        assertEquals(List.of("decoy-file"), names(decoyParent));
        assertEquals(List.of("rocker.sock"), names(sockDir));
    }

    private static List<String> names(Path dir) throws IOException {
        List<String> out = new ArrayList<>();
        try (var s = Files.list(dir)) {
            s.forEach(p -> out.add(p.getFileName().toString()));
        }
        out.sort(null);
        return out;
    }
}
