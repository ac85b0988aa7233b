package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.Rule;
import org.junit.Test;

import rocker.api.RockerApp;
import rocker.api.RockerError;
import rocker.api.RockerEvents;
import rocker.api.RockerException;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.testsupport.Images;
import rocker.testsupport.KernelView;

/** The engine's lifecycle events (RockerEvents) and onAppExit, on the real kernel; the sink stands for EventAdmin. */
public class LifecycleEventsTest {
    @Rule
    public final EngineFixture fx = new EngineFixture();

    /** What a sink was told: "TOPIC NAME" plus the exit status and signal for APP_EXITED. */
    private static final class Told implements EngineEvents {
        final List<String> events = new CopyOnWriteArrayList<>();
        final List<Map<String, Object>> properties = new CopyOnWriteArrayList<>();

        @Override
        public void post(String topic, Map<String, Object> p) {
            properties.add(p);
            String e = topic.substring(RockerEvents.TOPIC_PREFIX.length()) + " " + p.get(RockerEvents.GUARD_NAME);
            if (topic.equals(RockerEvents.APP_EXITED)) e += " " + p.get(RockerEvents.EXIT_STATUS) + "/" + p.get(RockerEvents.EXIT_SIGNAL);
            events.add(e);
        }

        void await(int n) throws Exception {
            assertTrue("told " + events, KernelView.eventually(EngineFixture.SETTLE, () -> events.size() >= n));
        }
    }

    private RockerRequest.Builder request(String data) throws Exception {
        Path img = Images.build(fx.work, "ev-" + data, Map.of("exit.sh", "#!/bin/sh\nexit $1\n"));
        return fx.request(img, data, "/var");
    }

    private RockerResult run(RockerRequest.Builder r, String... cmd) {
        RockerResult res = fx.engine.enterRocker(r.build(), RockerApp.of(cmd));
        assertEquals(res.toString(), RockerError.SUCCESS, res.error());
        return res;
    }

    /**
     * A listener that subscribes to the app's end as soon as it is told CREATED (here on the building thread
     * itself, before the build has handed the guard to the exit watcher) gets the app's status: the rocker is
     * known to the watcher before CREATED is posted. It used to get "its app's exit status cannot be observed".
     */
    @Test
    public void aListenerOfCreatedThatWaitsAtOnceGetsTheAppsStatus() throws Exception {
        List<java.util.concurrent.CompletableFuture<Integer>> subscribed = new CopyOnWriteArrayList<>();
        fx.engine.addEventSink((topic, p) -> {
            if (topic.equals(RockerEvents.CREATED)) {
                subscribed.add(fx.engine.onAppExit((String) p.get(RockerEvents.GUARD_NAME)).toCompletableFuture());
            }
        });
        RockerResult r = run(request("w"), "/bin/sh", fx.work.resolve("exec-w") + "/exit.sh", "5");
        assertEquals(1, subscribed.size());
        assertEquals(Integer.valueOf(5), subscribed.get(0).get(10, TimeUnit.SECONDS));
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
    }

    /**
     * A listener that destroys the rocker as soon as it is told CREATED (on the building thread, before the
     * watcher reads the guard): the destroy waits for the keeper itself, not for the watcher's "gone" (which
     * would come only after the build went on: it waited the whole destroy timeout), and the app's end is told.
     */
    @Test
    public void aListenerOfCreatedThatDestroysAtOnceDoesNotWaitForTheWatcher() throws Exception {
        List<RockerResult> destroyed = new CopyOnWriteArrayList<>();
        List<Long> took = new CopyOnWriteArrayList<>();
        List<java.util.concurrent.CompletableFuture<Integer>> subscribed = new CopyOnWriteArrayList<>();
        fx.engine.addEventSink((topic, p) -> {
            if (topic.equals(RockerEvents.CREATED)) {
                String name = (String) p.get(RockerEvents.GUARD_NAME);
                subscribed.add(fx.engine.onAppExit(name).toCompletableFuture());
                long t0 = System.nanoTime();
                destroyed.add(fx.engine.destroy(name));
                took.add(System.nanoTime() - t0);
            }
        });
        RockerResult r = run(request("d"), "/bin/sleep", "60");
        assertEquals(1, destroyed.size());
        assertEquals(destroyed.get(0).toString(), RockerError.SUCCESS, destroyed.get(0).error());
        // not a speed figure: the bound is half the fixture's destroy timeout (10 s), which the wait used to take whole
        assertTrue("destroy took " + took.get(0) / 1_000_000 + " ms", took.get(0) < TimeUnit.SECONDS.toNanos(5));
        assertEquals("killed with its rocker", Integer.valueOf(137), subscribed.get(0).get(10, TimeUnit.SECONDS));
        assertTrue(fx.engine.list().stream().noneMatch(i -> i.guardName().equals(r.guardName())));
    }

    @Test
    public void anAppThatEndsIsToldOnceWithItsStatus() throws Exception {
        Told told = new Told();
        fx.engine.addEventSink(told);
        RockerRequest.Builder req = request("x");
        RockerResult r = run(req, "/bin/sh", fx.work.resolve("exec-x") + "/exit.sh", "3");
        assertEquals(Integer.valueOf(3), fx.engine.onAppExit(r.guardName()).toCompletableFuture().get(10, TimeUnit.SECONDS));
        told.await(2);
        assertEquals(List.of("CREATED " + r.guardName(), "APP_EXITED " + r.guardName() + " 3/0"), told.events);
        Map<String, Object> p = told.properties.get(0);
        assertEquals(r.guardPid(), p.get(RockerEvents.GUARD_PID));
        assertEquals(r.appPid(), p.get(RockerEvents.APP_PID));
        assertEquals(7, p.get(RockerEvents.APP_ID));
        assertEquals(1000, p.get(RockerEvents.UID));
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
        told.await(3);
        assertEquals("DESTROYED " + r.guardName(), told.events.get(2));
        assertEquals("after it ended, at once", Integer.valueOf(3),
                fx.engine.onAppExit(r.guardName()).toCompletableFuture().get(1, TimeUnit.SECONDS));
    }

    @Test
    public void aDestroyedAppEndsBySigkill() throws Exception {
        Told told = new Told();
        fx.engine.addEventSink(told);
        RockerResult r = run(request("k"), "/bin/sleep", "1000");
        var exit = fx.engine.onAppExit(r.guardName()).toCompletableFuture();
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
        assertEquals(Integer.valueOf(137), exit.get(10, TimeUnit.SECONDS));
        told.await(3);
        assertEquals(List.of("CREATED " + r.guardName(), "APP_EXITED " + r.guardName() + " 137/9", "DESTROYED " + r.guardName()),
                told.events);
    }

    @Test
    public void aRemoveOnExitRockerIsDestroyedAfterItsApp() throws Exception {
        Told told = new Told();
        fx.engine.addEventSink(told);
        RockerResult r = run(request("rm").removeOnExit(true), "/bin/sh", "-c", "exit 5");
        told.await(3);
        assertEquals(List.of("CREATED " + r.guardName(), "APP_EXITED " + r.guardName() + " 5/0", "DESTROYED " + r.guardName()),
                told.events);
    }

    @Test
    public void anUnknownRockerFailsTheStage() throws Exception {
        try {
            fx.engine.onAppExit("nosuchrocker").toCompletableFuture().get(1, TimeUnit.SECONDS);
            fail();
        } catch (ExecutionException | CompletionException e) {
            assertTrue(e.getCause() instanceof RockerException);
            assertEquals(RockerError.PARAM_INVALID, ((RockerException) e.getCause()).error());
            assertEquals("guard_name 'nosuchrocker': no such rocker", e.getCause().getMessage());
        }
    }

    @Test
    public void aNewEngineTellsWhatItAdoptedOnceASinkIsThere() throws Exception {
        RockerEngine first = fx.engine(() -> System.getProperty("rocker.guard"), 0);
        RockerResult r = first.enterRocker(request("a").build(), RockerApp.of("/bin/sleep", "1000"));
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        first.close();
        try (RockerEngine next = fx.engine(() -> System.getProperty("rocker.guard"), 0)) {
            Told told = new Told();
            next.addEventSink(told);
            assertEquals(List.of("ADOPTED " + r.guardName()), told.events);
            Told later = new Told();
            next.addEventSink(later);
            assertTrue("told once", later.events.isEmpty());
            assertEquals(RockerError.SUCCESS, next.destroy(r.guardName()).error());
            told.await(3);
            assertEquals(List.of("ADOPTED " + r.guardName(), "APP_EXITED " + r.guardName() + " 137/9", "DESTROYED " + r.guardName()),
                    told.events);
        }
    }

    @Test
    public void aCancelledStageIsForgotten() throws Exception {
        RockerResult r = run(request("c"), "/bin/sleep", "1000");
        var stage = fx.engine.onAppExit(r.guardName()).toCompletableFuture();
        ExitWatcher.Watched w = watched(r.guardName());
        assertEquals(1, w.waiting());
        stage.cancel(false);
        assertEquals("unsubscribed: nothing kept until the app ends", 0, w.waiting());
        var kept = fx.engine.onAppExit(r.guardName()).toCompletableFuture();
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
        assertEquals(Integer.valueOf(137), kept.get(10, TimeUnit.SECONDS));
    }

    private ExitWatcher.Watched watched(String name) {
        return fx.engine.watcher.find(name).orElseThrow();
    }
}
