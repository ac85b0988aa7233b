package rocker.server.roundtrip;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;

import org.junit.Rule;
import org.junit.Test;

import rocker.client.RemoteRockerClient;
import rocker.client.testing.Requests;
import rocker.server.testing.ChildJvm;
import rocker.server.testing.ServerFixture;

/**
 * A real process of another uid (65534, via setpriv) talks to the server: it gets a rocker for its own
 * uid and is refused one for root, and one with another system call filter than Rocker's default; it
 * only lists its own rockers. Authorization comes from SO_PEERCRED.
 */
public class NonRootClientTest {
    private static final int NOBODY = 65534;

    @Rule
    public final ServerFixture fixture = new ServerFixture();

    @Test
    public void anUnprivilegedProcessGetsItsOwnUidAndIsRefusedAnother() throws Exception {
        assumeTrue("needs root and setpriv", ChildJvm.available());
        fixture.engine.adopt("roots-rocker", 4242, Requests.valid(0, 0).build(), java.time.Instant.now());
        Path pkg = Files.writeString(fixture.dir().resolve("app.squashfs"), "image");
        Files.setPosixFilePermissions(pkg, PosixFilePermissions.fromString("rw-r--r--"));
        Path home = Files.createDirectory(fixture.dir().resolve("home"));
        UserPrincipalLookupService users = home.getFileSystem().getUserPrincipalLookupService();
        Files.setOwner(home, users.lookupPrincipalByName(Integer.toString(NOBODY)));
        String data = home.resolve("data").toString();
        String socket = fixture.socket().toString();

        try (ChildJvm child = new ChildJvm()) {
            ChildJvm.Result own = child.run(NOBODY, NOBODY, NonRootClientMain.class, socket, "65534", "65534", pkg.toString(), data);
            assertEquals(own.output(), 0, own.exitCode());
            assertTrue(own.output(), own.output().contains("RESULT success"));
            assertTrue("sees only its own rocker: " + own.output(), own.output().contains("LIST 1"));

            ChildJvm.Result other = child.run(NOBODY, NOBODY, NonRootClientMain.class, socket, "0", "0", pkg.toString(), data);
            assertTrue(other.output(), other.output().contains("RESULT sys permission denied: uid 0: a client of uid 65534"));
        }
        assertEquals(1, fixture.engine.requests.size());
        assertEquals(NOBODY, fixture.engine.requests.get(0).uid());
        // its quota and its LIST read its own rockers, not every rocker's figures (docs/performance.md, "Seventh round")
        assertEquals("list() calls", 0, fixture.engine.lists.get());
        assertTrue(fixture.engine.uidLists.get() >= 2);
        // the engine is told to open the request's paths as the client (its own checks: docs/security.md)
        assertEquals(rocker.api.RockerCaller.user(NOBODY, NOBODY, java.util.List.of(), 0).uid(), fixture.engine.callers.get(0).uid());
        assertFalse(fixture.engine.callers.get(0).isEngine());
    }

    @Test
    public void anUnprivilegedProcessMayNotChangeTheSystemCallFilter() throws Exception {
        assumeTrue("needs root and setpriv", ChildJvm.available());
        String socket = fixture.socket().toString();
        String data = fixture.dir().resolve("data").toString();
        String profile = fixture.dir().resolve("seccomp.json").toString();
        try (ChildJvm child = new ChildJvm()) {
            for (String seccomp : new String[] {"unconfined", profile}) {
                ChildJvm.Result r = child.run(NOBODY, NOBODY, NonRootClientMain.class, socket, "65534", "65534",
                        "/tmp/app.squashfs", data, seccomp);
                assertEquals(r.output(), 0, r.exitCode());
                assertTrue(r.output(), r.output().startsWith("RESULT sys permission denied: seccomp '" + seccomp
                        + "': only root clients may change the system call filter\n"));
                assertTrue(r.output(), r.output().contains("LIST 0"));
            }
            // a value that is not valid is param_invalid, like any field (the client checks before it sends)
            ChildJvm.Result relative = child.run(NOBODY, NOBODY, NonRootClientMain.class, socket, "65534", "65534",
                    "/tmp/app.squashfs", data, "seccomp.json");
            assertTrue(relative.output(), relative.output().startsWith("RESULT param_invalid seccomp 'seccomp.json': must be an absolute path"));
        }
        assertEquals("nothing was built for the client", 0, fixture.engine.requests.size());
        // root (this process) may: the engine gets the filter asked for
        try (RemoteRockerClient root = new RemoteRockerClient(socket)) {
            for (String seccomp : new String[] {"unconfined", profile}) {
                rocker.api.RockerResult r = root.enterRocker(Requests.valid(NOBODY, NOBODY).seccomp(seccomp).build(),
                        rocker.api.RockerApp.of("/bin/true"));
                assertTrue(r.toString(), r.isSuccess());
            }
            assertEquals(profile, root.list().get(1).request().seccomp());
        }
        assertEquals("unconfined", fixture.engine.requests.get(0).seccomp());
        assertEquals(profile, fixture.engine.requests.get(1).seccomp());
    }

    @Test
    public void anUnprivilegedProcessMayNotLiftLimitsNorAskAboutOthersRockers() throws Exception {
        assumeTrue("needs root and setpriv", ChildJvm.available());
        fixture.engine.adopt("roots-rocker", 4242, Requests.valid(0, 0).build(), java.time.Instant.now());
        fixture.engine.stats.put("roots-rocker", new rocker.api.RockerStats(1, 2, 3, 4, 5));
        fixture.engine.stats.put("rocker-fake-1", new rocker.api.RockerStats(10, 20, 30, 40, 0));
        String socket = fixture.socket().toString();
        String data = fixture.dir().resolve("data").toString();
        try (ChildJvm child = new ChildJvm()) {
            ChildJvm.Result r = child.run(NOBODY, NOBODY, NonRootLimitsMain.class, socket, "65534", "65534", "/tmp/app.squashfs", data,
                    "rocker-fake-1", "roots-rocker", "nope");
            assertEquals(r.output(), 0, r.exitCode());
            assertEquals(r.output(), String.join("\n",
                    "RESULT sys permission denied: pids '0': only root clients may lift the process limit",
                    "RESULT sys permission denied: pids '2000': only root clients may lift the process limit",
                    "RESULT sys permission denied: log_limit '0': only root clients may keep logs unbounded or above 104857600 bytes",
                    "RESULT success started",
                    "STATS rocker-fake-1 Optional[RockerStats[memory=10, peak=20, pids=30, cpu_ns=40, oom_kills=0]]",
                    "STATS roots-rocker sys permission denied: guard_name 'roots-rocker': the rocker is not one of uid 65534",
                    "STATS nope Optional.empty", ""), r.output().replaceAll("(?m)^(?!RESULT|STATS).*\n", ""));
        }
        assertEquals(1, fixture.engine.requests.size());
        assertEquals(100, fixture.engine.requests.get(0).pidsLimit());
        // root (this process) may lift them, and ask about any rocker
        try (RemoteRockerClient root = new RemoteRockerClient(socket)) {
            assertTrue(root.enterRocker(Requests.valid(NOBODY, NOBODY).pidsLimit(0).logLimit(0).build(),
                    rocker.api.RockerApp.of("/bin/true")).isSuccess());
            assertEquals(java.util.Optional.of(new rocker.api.RockerStats(1, 2, 3, 4, 5)), root.stats("roots-rocker"));
        }
        assertEquals(0, fixture.engine.requests.get(1).pidsLimit());
        assertEquals(0, fixture.engine.requests.get(1).logLimit());
    }
}
