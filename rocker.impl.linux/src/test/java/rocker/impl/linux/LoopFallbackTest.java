package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.After;
import org.junit.Rule;
import org.junit.Test;

import rocker.api.RockerApp;
import rocker.api.RockerError;
import rocker.api.RockerResult;
import rocker.impl.linux.sys.Loop;
import rocker.testsupport.Images;
import rocker.testsupport.KernelView;

/**
 * Kernels before 5.8 have no LOOP_CONFIGURE: the image is then bound with LOOP_SET_FD and
 * LOOP_SET_STATUS64 (read-only, auto-clear), which this kernel still has. Same rocker, same teardown.
 */
public class LoopFallbackTest {
    @Rule
    public final EngineFixture fx = new EngineFixture();

    @After
    public void configureAgain() {
        Loop.useConfigure(true);
    }

    @Test
    public void theImageIsMountedAndDetachedWithTheOlderCalls() throws Exception {
        Loop.useConfigure(false);
        Path image = Images.build(fx.work, "old", Map.of("marker", "from the image\n"));
        RockerResult r = fx.engine.enterRocker(fx.request(image, "old").build(),
                RockerApp.of("/bin/sh", "-c", "grep -q 'from the image' " + fx.work.resolve("exec-old/marker") + " && exit 6"));
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        assertEquals(6, fx.engine.waitForApp(r.guardName(), Duration.ofSeconds(10)).getAsInt());
        String dev = KernelView.loopBackingFiles().stream().filter(l -> l.endsWith("=" + image)).findFirst()
                .orElseThrow(() -> new AssertionError("no loop device on " + image)).split("=")[0];
        // LOOP_SET_STATUS64 set the flags: read-only and auto-clear
        assertEquals("1", java.nio.file.Files.readString(Path.of("/sys/block", dev, "ro")).trim());
        assertEquals("1", java.nio.file.Files.readString(Path.of("/sys/block", dev, "loop/autoclear")).trim());
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
        // the fixture checks that no loop device on the image is left (auto-clear)
    }
}
