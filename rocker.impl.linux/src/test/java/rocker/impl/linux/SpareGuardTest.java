package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
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
import rocker.api.RockerResult;
import rocker.api.Stdio;
import rocker.testsupport.Images;
import rocker.testsupport.KernelView;

/** Spare guards: started ahead of need, claimed (renamed, given their hostname and stdio), ended with the engine. */
public class SpareGuardTest {
    @Rule
    public final EngineFixture fx = new EngineFixture();

    private static List<Integer> spares() throws Exception {
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

        // another mode is not pooled: a guard of its own
        RockerResult third = fx.engine.enterRocker(fx.request(img, "c").network(NetworkMode.NONE).build(),
                RockerApp.of("/bin/sh", fx.work.resolve("exec-c") + "/who.sh"));
        assertEquals(third.toString(), RockerError.SUCCESS, third.error());
        assertTrue(!spares().contains(third.guardPid()));
        assertEquals(3, fx.engine.list().size());

        for (RockerResult r : List.of(first, second, third)) {
            assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
        }
        fx.engine.close();
        assertTrue("spares end with the engine", KernelView.eventually(EngineFixture.SETTLE, () -> spares().isEmpty()));
    }
}
