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

    /** {@code sh -c SCRIPT sh ARG}: the names' bytes are made by the shell (java.nio cannot make them). */
    private static void shell(String script, String arg) throws Exception {
        Process p = new ProcessBuilder("/bin/sh", "-c", script, "sh", arg).inheritIO().start();
        assertEquals(script, 0, p.waitFor());
    }

    /**
     * A mount point whose name is not UTF-8 (any user can make one: a FUSE mount in its home) failed every
     * build when mountinfo was decoded strictly. It is made read-only inside with the rest, with
     * mount_setattr and by the fallback of kernels before 5.12, which walks to each mount by its name's bytes.
     */
    @Test
    public void aMountPointWhoseNameIsNotUtf8IsReadOnlyInside() throws Exception {
        Files.createDirectories(fx.stateDir);
        shell("d=\"$1/mnt-$(printf '\\377')\"; mkdir \"$d\" && mount -t tmpfs rocker-test-latin1 \"$d\"", fx.work.toString());
        Throwable failed = null;
        try {
            for (boolean setattr : new boolean[] {true, false}) {
                ReadOnlyHost.useMountSetattr(setattr);
                GuardProcess g = GuardProcess.start(System.getProperty("rocker.guard"), GuardPool.SPARE_NAME, "-", "rkreadonlyhost2",
                        Reconciler.stateKey(fx.stateDir));
                try (MountInterpreter mounts = new MountInterpreter()) {
                    ReadOnlyHost readOnly = new ReadOnlyHost();
                    mounts.run("rkreadonlyhost2", g.guardPid, List.of(readOnly.snapshot(), readOnly));
                    List<String> lines = ReadOnlyHost.mountInfoLines(Path.of("/proc/" + g.guardPid + "/mountinfo"));
                    String options = lines.stream().filter(l -> l.contains(" rocker-test-latin1 ")).map(l -> l.split(" ")[5])
                            .findFirst().orElseThrow();
                    assertTrue("the mount in the guard's namespace (mount_setattr " + setattr + "): " + options, options.startsWith("ro"));
                    String host = lines.stream().filter(l -> l.split(" ")[4].equals("/")).map(l -> l.split(" ")[5]).findFirst().orElseThrow();
                    assertTrue("and the rest: " + host, host.startsWith("ro"));
                } finally {
                    Posix.close(g.control);
                    Keepers.reap(g.keeperPid);
                }
            }
            // and the engine itself (its cgroup layout reads mountinfo too)
            assertTrue(CgroupLayout.detect().hierarchies().size() > 0);
        } catch (Throwable t) {
            failed = t;
            throw t;
        } finally {
            ReadOnlyHost.useMountSetattr(true);
            try {
                shell("d=\"$1/mnt-$(printf '\\377')\"; umount -l \"$d\" && rmdir \"$d\"", fx.work.toString());
            } catch (Throwable cleanup) {
                if (failed == null) throw cleanup;
                failed.addSuppressed(cleanup); // the test's own failure is the one to see
            }
        }
    }
}
