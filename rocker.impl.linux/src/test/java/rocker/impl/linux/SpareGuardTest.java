package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.Rule;
import org.junit.Test;

import rocker.api.NetworkMode;
import rocker.api.RockerApp;
import rocker.api.RockerError;
import rocker.api.RockerInfo;
import rocker.api.RockerResult;
import rocker.api.Stdio;
import rocker.testsupport.Images;
import rocker.testsupport.KernelView;

/** Spare guards: started ahead of need, claimed (renamed, given their hostname and stdio), ended with the engine. */
public class SpareGuardTest {
    @Rule
    public final EngineFixture fx = new EngineFixture();

    /** The live spare guards of this JVM's engines (their keepers are our children). */
    static List<Integer> spares() throws Exception {
        List<Integer> out = new ArrayList<>();
        int self = (int) ProcessHandle.current().pid();
        try (var s = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : s) {
                int pid = Integer.parseInt(p.getFileName().toString());
                ProcStat.live(pid).filter(st -> st.name.equals(GuardPool.SPARE_NAME))
                        .filter(st -> ProcStat.read(st.ppid).map(k -> k.ppid == self).orElse(false))
                        .ifPresent(st -> out.add(pid));
            }
        }
        return out;
    }

    @Test
    public void sparesAreClaimedRenamedAndEndWithTheEngine() throws Exception {
        fx.engine.close();
        fx.engine = fx.engine(() -> System.getProperty("rocker.guard"), 2);
        Path img = Images.build(fx.work, "spare", Map.of("who.sh", "#!/bin/sh\necho \"$(hostname) $(id -u)\"\n"));
        assertTrue("no spare before the first rocker", spares().isEmpty());

        RockerResult first = fx.engine.enterRocker(fx.request(img, "a", "/etc").build(),
                RockerApp.of("/bin/sh", fx.work.resolve("exec-a") + "/who.sh"));
        assertEquals(first.toString(), RockerError.SUCCESS, first.error());
        assertTrue("two spares wait", KernelView.eventually(EngineFixture.SETTLE, () -> spares().size() == 2));
        List<Integer> waiting = spares();

        Path out = fx.work.resolve("who.txt");
        RockerResult second = fx.engine.enterRocker(fx.request(img, "b", "/etc").hostname("gw-7").build(),
                RockerApp.builder().command("/bin/sh", fx.work.resolve("exec-b") + "/who.sh").stdout(Stdio.file(out.toString())).build());
        assertEquals(second.toString(), RockerError.SUCCESS, second.error());
        assertTrue("a spare was claimed: " + second.guardPid() + " in " + waiting, waiting.contains(second.guardPid()));
        assertEquals("renamed", second.guardName(), ProcStat.read(second.guardPid()).get().name);
        assertEquals(0, fx.engine.waitForApp(second.guardName(), Duration.ofSeconds(10)).getAsInt());
        assertEquals("gw-7 1000\n", Files.readString(out));
        assertTrue("refilled", KernelView.eventually(EngineFixture.SETTLE, () -> spares().size() == 2));

        // another mode: its first request gets a guard of its own, and from then on that mode has a spare too
        RockerResult third = fx.engine.enterRocker(fx.request(img, "c").network(NetworkMode.NONE).build(),
                RockerApp.of("/bin/sh", fx.work.resolve("exec-c") + "/who.sh"));
        assertEquals(third.toString(), RockerError.SUCCESS, third.error());
        assertTrue(!waiting.contains(third.guardPid()));
        assertTrue("a private-network spare waits beside the two", KernelView.eventually(EngineFixture.SETTLE,
                () -> fx.engine.pool.count("-n") == 1 && spares().size() == 3));
        List<Integer> withPrivateNet = spares();
        RockerResult fourth = fx.engine.enterRocker(fx.request(img, "d").network(NetworkMode.NONE).build(),
                RockerApp.of("/bin/sh", fx.work.resolve("exec-d") + "/who.sh"));
        assertEquals(fourth.toString(), RockerError.SUCCESS, fourth.error());
        assertTrue("the private-network spare was claimed", withPrivateNet.contains(fourth.guardPid()));
        assertNotEquals("its network is its own", KernelView.nsLink(KernelView.self(), "net"), KernelView.nsLink(fourth.guardPid(), "net"));
        assertEquals(4, fx.engine.list().size());

        for (RockerResult r : List.of(first, second, third, fourth)) {
            assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
        }
        fx.engine.close();
        assertTrue("spares end with the engine", KernelView.eventually(EngineFixture.SETTLE, () -> spares().isEmpty()));
    }

    @Test
    public void aBurstOfRequestsGrowsThePoolToItsSize() throws Exception {
        fx.engine.close();
        fx.engine = fx.engine(() -> System.getProperty("rocker.guard"), 1);
        Path img = Images.build(fx.work, "burst", Map.of("x", "x"));
        java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(6);
        try {
            List<java.util.concurrent.Future<RockerResult>> made = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                String data = "b" + i;
                made.add(clients.submit(() -> fx.engine.enterRocker(fx.request(img, data).build(), RockerApp.of("/bin/sleep", "1000"))));
            }
            for (var f : made) assertEquals(RockerError.SUCCESS, f.get().error());
        } finally {
            clients.shutdown();
        }
        assertTrue("six spares wait for the next burst: " + fx.engine.pool.count("-"),
                KernelView.eventually(EngineFixture.SETTLE, () -> fx.engine.pool.count("-") == 6 && spares().size() == 6));
        for (RockerInfo r : fx.engine.list()) fx.engine.destroy(r.guardName());
        fx.engine.close();
        assertTrue("spares end with the engine", KernelView.eventually(EngineFixture.SETTLE, () -> spares().isEmpty()));
    }

    /**
     * On a spare the plan starts before the rocker's record is written (BuildGate): when that write fails,
     * the plan stops at its gate, before any mount, and the build is undone like any failed one: the
     * caller gets the record's error, the data dir the plan made is gone, no guard is left.
     */
    @Test
    public void aRecordThatCannotBeWrittenStopsThePlanAtItsGate() throws Exception {
        fx.engine.close();
        fx.engine = fx.engine(() -> System.getProperty("rocker.guard"), 2);
        Path img = Images.build(fx.work, "gate", Map.of("marker", "g\n"));
        RockerResult first = fx.engine.enterRocker(fx.request(img, "g1").build(), RockerApp.of("/bin/true"));
        assertEquals(first.toString(), RockerError.SUCCESS, first.error());
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(first.guardName()).error());
        assertTrue("spares wait", KernelView.eventually(EngineFixture.SETTLE, () -> spares().size() == 2));
        List<Integer> waiting = spares();
        Path records = fx.stateDir.resolve("rockers");
        int droppedBefore = DevDir.DROPPED_AHEAD.get();
        assertEquals(0, new ProcessBuilder("chattr", "+i", records.toString()).start().waitFor());
        RockerResult r;
        try {
            r = fx.engine.enterRocker(fx.request(img, "g2").build(), RockerApp.of("/bin/true"));
        } finally {
            assertEquals(0, new ProcessBuilder("chattr", "-i", records.toString()).start().waitFor());
        }
        assertEquals(r.toString(), RockerError.SYS, r.error());
        assertTrue(r.message(), r.message().startsWith("cannot record the rocker in " + records));
        assertEquals("", r.guardName());
        assertTrue("the data dir the plan made is gone", !Files.exists(fx.work.resolve("data-g2")));
        assertEquals("nothing was mounted or unmounted in the spare", droppedBefore, DevDir.DROPPED_AHEAD.get());
        assertTrue("the spare it took is gone", KernelView.eventually(EngineFixture.SETTLE,
                () -> waiting.stream().filter(KernelView::alive).count() == 1));
        assertTrue(fx.engine.list().isEmpty());
        RockerResult again = fx.engine.enterRocker(fx.request(img, "g3").build(), RockerApp.of("/bin/true"));
        assertEquals(again.toString(), RockerError.SUCCESS, again.error());
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(again.guardName()).error());
    }
}
