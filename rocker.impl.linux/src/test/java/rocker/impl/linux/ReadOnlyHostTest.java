package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.Rule;
import org.junit.Test;

import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.impl.linux.sys.Fd;
import rocker.impl.linux.sys.Posix;

/**
 * The one-call way of making the host read-only (mount_setattr) never makes a host mount writable again:
 * a step that registered one (a bug, or a mount it did not make) fails the build, and the host's mounts
 * in that namespace stay read-only. Run in a real guard's mount namespace.
 */
public class ReadOnlyHostTest {
    @Rule
    public final EngineFixture fx = new EngineFixture();

    @Test
    public void aHostMountIsNeverMadeWritableAgain() throws Exception {
        Files.createDirectories(fx.stateDir);
        GuardProcess g = GuardProcess.start(System.getProperty("rocker.guard"), GuardPool.SPARE_NAME, "-", "rkreadonlyhost1",
                Reconciler.stateKey(fx.stateDir));
        try (MountInterpreter mounts = new MountInterpreter()) {
            ReadOnlyHost readOnly = new ReadOnlyHost();
            String[] mountsAfter = new String[1];
            try {
                mounts.run("rkreadonlyhost1", g.guardPid, List.of(readOnly.snapshot(),
                        MountOp.of("register the host's / as the rocker's", () ->
                                readOnly.keepWritable(Posix.open("/", Fd.O_PATH | Fd.O_DIRECTORY, 0), "/")),
                        readOnly,
                        MountOp.of("never reached", () -> mountsAfter[0] = "reached")));
                fail("a host mount was made writable");
            } catch (RockerException e) {
                assertEquals(RockerError.BUILD_ROCKER_FAILED, e.error());
                assertTrue(e.getMessage(), e.getMessage().contains("it is the host's mount"));
            }
            assertEquals(null, mountsAfter[0]);
            String rootOptions = Files.readAllLines(Path.of("/proc/" + g.guardPid + "/mountinfo")).stream()
                    .map(l -> l.split(" ")).filter(f -> f[4].equals("/")).map(f -> f[5]).findFirst().orElseThrow();
            assertTrue("/ in the guard's namespace: " + rootOptions, rootOptions.startsWith("ro"));
            String hostRoot = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                    .map(l -> l.split(" ")).filter(f -> f[4].equals("/")).map(f -> f[5]).findFirst().orElseThrow();
            assertTrue("/ on the host stays as it was: " + hostRoot, hostRoot.startsWith("rw"));
        } finally {
            Posix.close(g.control); // a spare without an app ends with its socket
            Keepers.reap(g.keeperPid);
        }
    }
}
