package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.Before;
import org.junit.Test;

import rocker.api.RockerApp;
import rocker.api.RockerError;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.testsupport.Images;
import rocker.testsupport.KernelView;

/**
 * {@link ContainmentTest} with every rocker built on a spare whose /dev and /sys masks were built ahead
 * of need ({@link SpareMounts}): the app must see the same. A request with devices drops the spare's
 * /dev and gets one built in its plan; each build here is checked to have taken the way it should.
 */
public class ContainmentSpareTest extends ContainmentTest {
    private int usedBefore;
    private int droppedBefore;

    @Before
    public void anEngineWithSpares() throws Exception {
        fx.engine.close();
        fx.engine = fx.engine(() -> System.getProperty("rocker.guard"), 2);
    }

    /**
     * A data dir on a host mount made after the spares were: their namespaces are copies without it (the
     * data dir would be made in the dir under the mount, out of the host's sight); the engine sees the
     * change and takes none of them.
     */
    @Test
    public void aSpareMadeBeforeAHostMountIsNotTaken() throws Exception {
        Path image = Images.build(fx.work, "late", Map.of("marker", "x\n"));
        RockerRequest first = fx.request(image, "late-first").build();
        beforeBuild(first); // spares wait
        Path late = Files.createDirectory(fx.work.resolve("late-mount"));
        assertEquals(0, new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=4m", "late", late.toString()).start().waitFor());
        try {
            RockerRequest request = fx.request(image, "late").dataDir(late.resolve("data").toString()).build();
            RockerResult r = fx.engine.enterRocker(request, RockerApp.of("/bin/sh", "-c", "echo here > /tmp/f"));
            assertEquals(r.toString(), RockerError.SUCCESS, r.error());
            assertEquals(0, fx.engine.waitForApp(r.guardName(), Duration.ofSeconds(20)).getAsInt());
            assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
            assertEquals("the app's /tmp is in the data dir on the host's new mount", "here\n",
                    Files.readString(late.resolve("data/private/tmp/f")));
        } finally {
            assertEquals(0, new ProcessBuilder("umount", late.toString()).start().waitFor());
        }
        assertFalse("nothing was made under the mount", Files.exists(late.resolve("data")));
    }

    /**
     * On a spare, /dev is the rocker's own already (built ahead of need): the data dir (made there) is on no
     * host mount; the shared dir, made on the host's /dev/shm, is not in the rocker's.
     */
    @Override
    String intoDevRefusal(String field, String path) {
        return field + " '" + path + "': " + (field.equals("shared_dirs") ? "does not exist"
                : "leads onto a mount of the rocker's own (its /dev or a masked dir), not the host's");
    }

    @Override
    void beforeBuild(RockerRequest request) throws Exception {
        String flags = GuardProcess.flags(request);
        if (fx.engine.pool.count(flags) == 0) {
            // spares of a mode come once the engine has built a rocker of that mode
            RockerRequest first = fx.request(Path.of(request.pkgPath()), "first-" + System.nanoTime())
                    .network(request.network()).removeOnExit(request.removeOnExit()).build();
            RockerResult r = fx.engine.enterRocker(first, RockerApp.of("/bin/true"));
            assertEquals(r.toString(), RockerError.SUCCESS, r.error());
            fx.engine.waitForApp(r.guardName(), Duration.ofSeconds(20));
            assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
        }
        assertTrue("a spare waits", KernelView.eventually(EngineFixture.SETTLE, () -> fx.engine.pool.count(flags) > 0));
        usedBefore = DevDir.USED_AHEAD.get();
        droppedBefore = DevDir.DROPPED_AHEAD.get();
    }

    @Override
    void afterBuild(RockerRequest request, RockerResult result) {
        if (result.error() != RockerError.SUCCESS) return;
        boolean devices = !request.devices().isEmpty();
        assertEquals("the spare's /dev was used", usedBefore + (devices ? 0 : 1), DevDir.USED_AHEAD.get());
        assertEquals("the spare's /dev was dropped", droppedBefore + (devices ? 1 : 0), DevDir.DROPPED_AHEAD.get());
    }
}
