package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.time.Duration;

import org.junit.Before;

import rocker.api.RockerApp;
import rocker.api.RockerError;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
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

    @Override
    void beforeBuild(RockerRequest request) throws Exception {
        String flags = GuardProcess.flags(request);
        if (fx.engine.pool.count(flags) == 0) {
            // spares of a mode come once the engine has built a rocker of that mode
            RockerRequest first = fx.request(java.nio.file.Path.of(request.pkgPath()), "first-" + System.nanoTime())
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
