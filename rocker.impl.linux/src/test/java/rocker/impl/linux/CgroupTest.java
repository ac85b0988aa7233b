package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.Rule;
import org.junit.Test;

import rocker.api.RockerApp;
import rocker.api.RockerError;
import rocker.api.RockerInfo;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.api.RockerStats;
import rocker.testsupport.Images;
import rocker.testsupport.KernelView;

/**
 * Resource limits on the real kernel (docs/security.md, "Resource limits"): each rocker in its own
 * cgroup under the fixture's unique parent, limited before its app starts; a fork bomb, a memory hog
 * and a busy loop stay within their limits, a uid-0 app cannot raise them or leave, and every cgroup
 * goes with its rocker (the fixture checks that none is left and removes the parent).
 */
public class CgroupTest {
    private static final long MIB = 1024 * 1024;

    @Rule
    public final EngineFixture fx = new EngineFixture();

    private final CgroupLayout layout = CgroupLayout.detect();

    private RockerResult start(String data, java.util.function.UnaryOperator<RockerRequest.Builder> limits, String script)
            throws Exception {
        Path image = Images.build(fx.work, "cg-" + data, Map.of("marker", "x\n"));
        RockerResult r = fx.engine.enterRocker(limits.apply(fx.request(image, data)).build(), RockerApp.of("/bin/sh", "-c", script));
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        return r;
    }

    private Path cg(String controller, String name) {
        Path h = layout.hierarchyOf(controller);
        assumeTrue("this host has the " + controller + " controller", h != null);
        return h.resolve(fx.cgroupParent).resolve(name);
    }

    /** Whether this JVM may lower oom_score_adj (CAP_SYS_RESOURCE, bit 24); some containers drop it. */
    static boolean hasCapSysResource() throws Exception {
        long eff = Long.parseLong(KernelView.status((int) ProcessHandle.current().pid(), "CapEff").trim(), 16);
        return (eff & (1L << 24)) != 0;
    }

    private static long read(Path file) throws Exception {
        return Long.parseLong(Files.readString(file).trim());
    }

    private static boolean listed(Path procs, int pid) throws Exception {
        return List.of(Files.readString(procs).split("\n")).contains(Integer.toString(pid));
    }

    private void assertGone(String name) throws Exception {
        for (Path h : layout.hierarchies()) {
            Path d = h.resolve(fx.cgroupParent).resolve(name);
            assertTrue("removed: " + d, KernelView.eventually(EngineFixture.SETTLE, () -> !Files.exists(d)));
        }
    }

    @Test
    public void aForkBombStopsAtItsPidsLimit() throws Exception {
        RockerResult r = start("bomb", b -> b.pidsLimit(20), "while :; do sleep 100 & done");
        Path pids = cg("pids", r.guardName());
        assertEquals("20", Files.readString(pids.resolve("pids.max")).trim());
        assertTrue("the bomb reaches its limit", KernelView.eventually(EngineFixture.SETTLE, () -> read(pids.resolve("pids.current")) >= 18));
        Thread.sleep(500);
        assertTrue(read(pids.resolve("pids.current")) <= 20);
        RockerStats s = fx.engine.stats(r.guardName()).get();
        assertTrue(s.toString(), s.pids() <= 20 && s.pids() >= 18);
        // the guard is in it with the app's processes (the shell itself may have ended on a failed fork)
        assertTrue(listed(pids.resolve("cgroup.procs"), r.guardPid()));
        assertTrue(Files.readString(pids.resolve("cgroup.procs")).split("\n").length <= 20);
        // the host keeps its pids
        Process p = new ProcessBuilder("/bin/true").start();
        assertEquals(0, p.waitFor());
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
        assertGone(r.guardName());
    }

    @Test
    public void aMemoryHogIsOomKilledInsideItsRockerAndTheGuardLives() throws Exception {
        RockerResult r = start("hog", b -> b.memoryLimit(64 * MIB), "head -c 200M /dev/zero | tail");
        Path mem = cg("memory", r.guardName());
        if (layout.isV2(layout.hierarchyOf("memory"))) {
            assertEquals(Long.toString(64 * MIB), Files.readString(mem.resolve("memory.max")).trim());
        } else {
            assertEquals(64 * MIB, read(mem.resolve("memory.limit_in_bytes")));
            if (Files.exists(mem.resolve("memory.memsw.limit_in_bytes"))) {
                assertEquals(64 * MIB, read(mem.resolve("memory.memsw.limit_in_bytes")));
            }
        }
        assertEquals("killed by the OOM killer", 128 + 9, fx.engine.waitForApp(r.guardName(), Duration.ofSeconds(30)).getAsInt());
        RockerStats s = fx.engine.stats(r.guardName()).get();
        assertTrue(s.toString(), s.oomKills() >= 1);
        assertTrue(s.toString(), s.memoryPeakBytes() <= 64 * MIB);
        assertTrue("the guard is unharmed", KernelView.alive(r.guardPid()));
        assertEquals(r.guardName(), ProcStat.read(r.guardPid()).get().name);
        assertTrue(KernelView.status(r.guardPid(), "NSpid").endsWith("\t1"));
        if (hasCapSysResource()) {
            assertEquals("-1000", Files.readString(Path.of("/proc", Integer.toString(r.guardPid()), "oom_score_adj")).trim());
        }
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
        assertGone(r.guardName());
    }

    @Test
    public void aBusyLoopGetsHalfACpu() throws Exception {
        RockerResult r = start("busy", b -> b.cpus(0.5).cpuWeight(50), "while :; do :; done");
        Path cpu = cg("cpu", r.guardName());
        if (!layout.isV2(layout.hierarchyOf("cpu"))) {
            assertEquals(50_000, read(cpu.resolve("cpu.cfs_quota_us")));
            assertEquals(100_000, read(cpu.resolve("cpu.cfs_period_us")));
            assertEquals(512, read(cpu.resolve("cpu.shares")));
        }
        Thread.sleep(300);
        long t0 = System.nanoTime();
        long c0 = fx.engine.stats(r.guardName()).get().cpuNanos();
        Thread.sleep(3000);
        long c1 = fx.engine.stats(r.guardName()).get().cpuNanos();
        long t1 = System.nanoTime();
        double share = (double) (c1 - c0) / (t1 - t0);
        assertTrue("CPU share " + share, c0 >= 0 && share <= 0.6 && share >= 0.1);
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
        assertGone(r.guardName());
    }

    @Test
    public void aUidZeroAppCannotRaiseItsLimitsNorLeaveItsCgroup() throws Exception {
        Path pidsRoot = layout.hierarchyOf("pids");
        assumeTrue(pidsRoot != null);
        String parent = pidsRoot.resolve(fx.cgroupParent).toString();
        StringBuilder script = new StringBuilder("n=$(hostname)\n")
                .append("(echo max > ").append(parent).append("/$n/pids.max) 2>&1 | sed 's/.*: //'\n")
                .append("(echo $$ > ").append(pidsRoot).append("/cgroup.procs) 2>&1 | sed 's/.*: //'\n")
                .append("(echo $$ > ").append(parent).append("/cgroup.procs) 2>&1 | sed 's/.*: //'\n")
                .append("(mkdir ").append(parent).append("/$n/escape) 2>&1 | sed 's/.*: //'\n")
                .append("echo oom: $(cat /proc/self/oom_score_adj)\n");
        if (layout.v2 != null) {
            script.append("(echo $$ > ").append(layout.v2).append("/cgroup.procs) 2>&1 | sed 's/.*: //'\n");
        }
        RockerResult r = start("uid0", b -> b.uid(0).gid(0).pidsLimit(50), script.toString());
        assertEquals(0, fx.engine.waitForApp(r.guardName(), Duration.ofSeconds(20)).getAsInt());
        String out = Files.readString(fx.work.resolve("data-uid0/log/stdout.log"));
        String ro = "Read-only file system\n";
        assertEquals(ro + ro + ro + ro + "oom: 0\n" + (layout.v2 != null ? ro : ""), out);
        Path pids = cg("pids", r.guardName());
        assertEquals("50", Files.readString(pids.resolve("pids.max")).trim());
        assertTrue(listed(pids.resolve("cgroup.procs"), r.guardPid()));
        assertFalse(Files.exists(pids.resolve("escape")));
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
        assertGone(r.guardName());
    }

    @Test
    public void aNewEngineReadsAndRemovesTheCgroupsOfAnEarlierOne() throws Exception {
        RockerResult r = start("adopt", b -> b, "exec sleep 1000");
        for (Path h : layout.hierarchies()) {
            Path d = h.resolve(fx.cgroupParent).resolve(r.guardName());
            assertTrue(d.toString(), Files.isDirectory(d));
            assertTrue("the guard in " + d, listed(d.resolve("cgroup.procs"), r.guardPid()));
            assertTrue("the app in " + d, listed(d.resolve("cgroup.procs"), r.appPid()));
        }
        fx.engine.close();
        fx.engine = fx.engine(() -> System.getProperty("rocker.guard"), 0);
        RockerStats s = fx.engine.stats(r.guardName()).get();
        assertTrue(s.toString(), s.pids() == -1 || s.pids() == 3); // keeper, guard, app
        assertTrue(s.toString(), s.cpuNanos() > 0);
        List<RockerInfo> live = fx.engine.list();
        assertEquals(1, live.size());
        assertNotNull(live.get(0).stats());
        assertEquals(s.pids(), live.get(0).stats().pids());
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
        assertGone(r.guardName());
        assertTrue(fx.engine.stats(r.guardName()).isEmpty());
    }

    /**
     * The server's checks of whose a rocker is (issue 19): find, listWithoutStats and listOfUid give what
     * list gives without the figures, so that no rocker's cgroups are read for them (the API's defaults
     * would have the figures: list()); listOfUid only that uid's.
     */
    @Test
    public void ownershipLookupsReadNoFigures() throws Exception {
        RockerResult a = start("own-a", b -> b, "exec sleep 1000");
        RockerResult b = start("own-b", x -> x.uid(65534).gid(65534), "exec sleep 1000");
        List<RockerInfo> full = fx.engine.list();
        List<RockerInfo> brief = fx.engine.listWithoutStats();
        assertEquals(2, full.size());
        assertEquals(full.size(), brief.size());
        for (int i = 0; i < full.size(); i++) {
            RockerInfo f = full.get(i);
            RockerInfo w = brief.get(i);
            assertNotNull("list() has the figures", f.stats());
            assertEquals(null, w.stats());
            assertEquals(f.guardName(), w.guardName());
            assertEquals(f.guardPid(), w.guardPid());
            assertEquals(f.appPid(), w.appPid());
            assertEquals(f.request().uid(), w.request().uid());
            assertEquals(f.created(), w.created());
            RockerInfo found = fx.engine.find(f.guardName()).orElseThrow();
            assertEquals(null, found.stats());
            assertEquals(f.guardPid(), found.guardPid());
            assertEquals(f.request().pkgPath(), found.request().pkgPath());
        }
        // what a uid's quota counts: that uid's rockers alone
        assertEquals(List.of(a.guardName()), fx.engine.listOfUid(1000).stream().map(RockerInfo::guardName).toList());
        List<RockerInfo> nobodys = fx.engine.listOfUid(65534);
        assertEquals(List.of(b.guardName()), nobodys.stream().map(RockerInfo::guardName).toList());
        assertEquals(null, nobodys.get(0).stats());
        assertEquals(65534, nobodys.get(0).request().uid());
        assertTrue(fx.engine.listOfUid(12345).isEmpty());
        assertTrue(fx.engine.find("../" + a.guardName()).isEmpty());
        assertTrue(fx.engine.find("").isEmpty());
        assertTrue(fx.engine.find(null).isEmpty());
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(a.guardName()).error());
        assertTrue("a destroyed rocker is not found", fx.engine.find(a.guardName()).isEmpty());
        assertEquals(List.of(b.guardName()), fx.engine.listWithoutStats().stream().map(RockerInfo::guardName).toList());
        assertTrue("a destroyed rocker is not its uid's", fx.engine.listOfUid(1000).isEmpty());
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(b.guardName()).error());
        assertGone(a.guardName());
        assertGone(b.guardName());
    }

    @Test
    public void theCgroupGoesWhenTheGuardEndsOrTheBuildFails() throws Exception {
        RockerResult r = start("rm", b -> b.removeOnExit(true), "exit 3");
        assertEquals(3, fx.engine.waitForApp(r.guardName(), Duration.ofSeconds(10)).getAsInt());
        assertGone(r.guardName());

        Path image = Images.build(fx.work, "cg-fail", Map.of("marker", "x\n"));
        RockerResult failed = fx.engine.enterRocker(fx.request(image, "fail").build(), RockerApp.of("/no/such/app"));
        assertEquals(failed.toString(), RockerError.APP_EXEC_FAILED, failed.error());
        assertTrue(fx.cgroupsLeft().toString(), fx.cgroupsLeft().isEmpty());
    }

    @Test
    public void aFailureToLimitIsBuildRockerFailedNamingTheFileAndLeavesNothing() throws Exception {
        // a v2 hierarchy whose cgroups lack pids.max: the write fails, the build too
        Path fake = Files.createDirectories(fx.work.resolve("fake-cgroupfs"));
        Files.writeString(fake.resolve("cgroup.controllers"), "pids\n");
        Files.writeString(fake.resolve("cgroup.subtree_control"), "");
        Files.createDirectories(fake.resolve("p"));
        Files.writeString(fake.resolve("p/cgroup.subtree_control"), "");
        fx.engine.close();
        fx.engine = new RockerEngine(fx.stateDir, () -> System.getProperty("rocker.guard"), Duration.ofSeconds(10), 0,
                RockerEngine.DEFAULT_HIDDEN_PATHS, new Cgroups(new CgroupLayout(fake, Map.of()), "p"));
        fx.engine.imageGrace(Duration.ZERO);
        Path image = Images.build(fx.work, "cg-limit", Map.of("marker", "x\n"));
        RockerResult failed = fx.engine.enterRocker(fx.request(image, "limit").build(), RockerApp.of("/bin/true"));
        assertEquals(failed.toString(), RockerError.BUILD_ROCKER_FAILED, failed.error());
        assertTrue(failed.message(), failed.message().startsWith("cannot make the rocker's cgroup: cannot write '1024' to " + fake + "/p/"));
        assertTrue(failed.message(), failed.message().endsWith("/pids.max: no such file"));
        try (var s = Files.list(fake.resolve("p"))) {
            assertEquals("nothing left", List.of(fake.resolve("p/cgroup.subtree_control")), s.toList());
        }
        assertTrue(fx.engine.list().isEmpty());
    }

    /**
     * A rocker's cgroup that still had a process when it was removed (the removal waits 2 s per hierarchy,
     * then gives up) is not left behind: the next removal tries it again once it is empty (and so does the
     * engine's close).
     */
    @Test
    public void aCgroupStillBusyWhenRemovedIsRemovedLater() throws Exception {
        Cgroups c = new Cgroups(layout, fx.cgroupParent);
        GuardNames names = new GuardNames();
        String name = names.next(n -> false);
        c.create(name, RockerRequest.builder().build());
        Process p = new ProcessBuilder("sleep", "60").start();
        try {
            c.enter(name, (int) p.pid());
            assertFalse("a process is still in it", c.remove(name));
            p.destroyForcibly();
            p.waitFor();
            String other = names.next(n -> n.equals(name));
            c.create(other, RockerRequest.builder().build());
            assertTrue(c.remove(other));
            for (Path h : layout.hierarchies()) {
                assertFalse("removed with the next removal: " + h, Files.exists(h.resolve(fx.cgroupParent).resolve(name)));
            }
        } finally {
            p.destroyForcibly();
            p.waitFor();
            c.remove(name);
        }
    }
}
