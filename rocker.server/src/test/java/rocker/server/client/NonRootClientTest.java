package rocker.server.client;

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

import rocker.server.testing.ChildJvm;
import rocker.server.testing.Requests;
import rocker.server.testing.ServerFixture;

/**
 * A real process of another uid (65534, via setpriv) talks to the server: it gets a rocker for its own
 * uid and is refused one for root; it only lists its own rockers. Authorization comes from SO_PEERCRED.
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
        // the engine is told to open the request's paths as the client (its own checks: docs/security.md)
        assertEquals(rocker.api.RockerCaller.user(NOBODY, NOBODY, java.util.List.of(), 0).uid(), fixture.engine.callers.get(0).uid());
        assertFalse(fixture.engine.callers.get(0).isEngine());
    }
}
