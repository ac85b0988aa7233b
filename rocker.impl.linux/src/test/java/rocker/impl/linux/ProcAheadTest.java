package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.Before;
import org.junit.Test;

import rocker.api.RockerApp;
import rocker.api.RockerError;
import rocker.api.RockerResult;
import rocker.testsupport.Images;
import rocker.testsupport.KernelView;

/**
 * {@link ProcMaskTest} with every rocker built on a spare whose guard mounted the rocker's /proc ahead of
 * need ("P", rocker-guard.c): on the empty /dev/mqueue of the /dev built for the spare, with the OCI
 * defaults, then moved on /proc with the request and made writable again after the plan's read-only step.
 * The app must see exactly what a /proc mounted with the request gives it; each build here is checked to
 * have used the /proc made ahead, and a request with devices (the spare's /dev dropped, the /proc made
 * ahead with it) to get one mounted as ever: the mount on the rocker's /proc is the very one that waited
 * on the spare's /dev/mqueue (a mount keeps its id when it is moved), or, with devices, a new one.
 */
public class ProcAheadTest extends ProcMaskTest {
    /** Spares waiting with their /proc made ahead, before the build; null: an engine without spares. */
    private List<Integer> staged;

    @Before
    public void anEngineWithSpares() throws Exception {
        fx.engine.close();
        fx.engine = fx.engine(() -> System.getProperty("rocker.guard"), 2);
    }

    /** The mounts of pid's namespace as "MOUNT_POINT FSTYPE OPTIONS" lines. */
    private static List<String> mounts(int pid) throws Exception {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/mountinfo"))) {
            String[] f = line.split(" ");
            String[] after = line.substring(line.indexOf(" - ") + 3).split(" ");
            out.add(f[4] + " " + after[0] + " " + f[5]);
        }
        return out;
    }

    /** The unique id (never reused) of the mount on top at {@code point} in pid's mount namespace, through its root. */
    private static long uniqueId(int pid, String point) {
        int fd = rocker.impl.linux.sys.Posix.open("/proc/" + pid + "/root" + point, rocker.impl.linux.sys.Fd.O_PATH, 0);
        try {
            return rocker.impl.linux.sys.Fd.uniqueMountId(fd);
        } finally {
            rocker.impl.linux.sys.Posix.close(fd);
        }
    }

    /** The unique id of the procfs a spare made ahead on its /dev/mqueue, with the masks on it; -1: none. */
    private static long stagedId(int pid) {
        try {
            List<String> m = mounts(pid);
            boolean masked = m.stream().anyMatch(l -> l.startsWith("/dev/mqueue/sys proc ro,"));
            return masked && top(m, "/dev/mqueue").startsWith("/dev/mqueue proc ") ? uniqueId(pid, "/dev/mqueue") : -1;
        } catch (Exception e) {
            return -1;
        }
    }

    /** Spare guard pid -> the unique mount id of its /proc made ahead. */
    private Map<Integer, Long> stagedIds;

    @Override
    void beforeBuild() throws Exception {
        staged = null;
        // the tests of a guard with a /dev of their own (guardWithDev) run it on an engine without spares
        if (fx.engine.pool.target(GuardPool.DEFAULT_FLAGS) == 0) return;
        if (fx.engine.pool.count(GuardPool.DEFAULT_FLAGS) == 0) {
            // spares come once the engine has built a rocker
            Path image = Images.build(fx.work, "ahead-first", Map.of("marker", "x\n"));
            RockerResult r = fx.engine.enterRocker(fx.request(image, "first-" + System.nanoTime()).build(), RockerApp.of("/bin/true"));
            assertEquals(r.toString(), RockerError.SUCCESS, r.error());
            fx.engine.waitForApp(r.guardName(), Duration.ofSeconds(20));
            assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
        }
        assertTrue("spares wait with their /proc made ahead", KernelView.eventually(EngineFixture.SETTLE, () -> {
            List<Integer> s = SpareGuardTest.spares();
            return !s.isEmpty() && s.stream().allMatch(pid -> stagedId(pid) > 0);
        }));
        staged = SpareGuardTest.spares();
        stagedIds = new java.util.HashMap<>();
        for (int pid : staged) stagedIds.put(pid, stagedId(pid));
    }

    @Override
    void afterBuild(RockerResult r, List<String> devices) throws Exception {
        if (staged == null) return;
        assertTrue("built on a spare: " + r.guardPid() + " in " + staged, staged.contains(r.guardPid()));
        List<String> m = mounts(r.guardPid());
        assertFalse("no procfs is left in /dev: " + m, m.stream().anyMatch(l -> l.startsWith("/dev/") && l.contains(" proc ")));
        assertTrue("/proc is the rocker's procfs, writable: " + m, top(m, "/proc").startsWith("/proc proc rw,"));
        assertEquals("the rocker's /proc is its own pid namespace's: its pid 1 is the guard", r.guardName(),
                Files.readString(Path.of("/proc/" + r.guardPid() + "/root/proc/1/comm")).trim());
        long id = uniqueId(r.guardPid(), "/proc");
        if (devices.isEmpty()) {
            assertEquals("the /proc made ahead was moved on /proc: " + m, (long) stagedIds.get(r.guardPid()), id);
        } else {
            assertTrue("the /proc made ahead went with the spare's /dev; a new one is on /proc: " + m, id != stagedIds.get(r.guardPid()));
        }
        for (String f : List.of("/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug")) {
            if (Files.exists(Path.of(f))) {
                assertTrue(f + " has the null device bound, writable as ever: " + m, top(m, f).matches(f + " [a-z]+ rw,.*"));
            }
        }
    }

    /** The mount on top at {@code point} (mountinfo lists a mount after the one it covers). */
    private static String top(List<String> mounts, String point) {
        String last = "";
        for (String l : mounts) {
            if (l.startsWith(point + " ")) last = l;
        }
        return last;
    }

    /** A request with devices drops the spare's /dev, and the /proc made ahead on it: /proc is mounted with the request. */
    @Test
    public void aRequestWithDevicesGetsAProcMountedWithIt() throws Exception {
        Path node = Path.of("/dev/rocker-test-null-" + ProcessHandle.current().pid());
        assertEquals(0, new ProcessBuilder("mknod", "-m", "0666", node.toString(), "c", "1", "3").start().waitFor());
        try {
            int dropped = DevDir.DROPPED_AHEAD.get();
            String host = swappiness();
            String out = probe("devices", 1000, false, List.of(node.toString()));
            assertEquals(expected(1000, host, mqueueAsSeen(out)), out);
            assertEquals("the spare's /dev was dropped", dropped + 1, DevDir.DROPPED_AHEAD.get());
        } finally {
            Files.deleteIfExists(node);
        }
    }
}
