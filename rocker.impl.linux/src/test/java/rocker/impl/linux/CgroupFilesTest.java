package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.api.RockerRequest;
import rocker.api.RockerStats;

/**
 * What the engine writes into and reads from cgroup files, on a fake cgroupfs (a temp dir holding the
 * files a cgroup has): the v2 paths this host cannot run (its v2 hierarchy has no controllers), and v1
 * without swap accounting. Also where controllers are found in a mount table.
 */
public class CgroupFilesTest {
    private static final long MIB = 1024 * 1024;

    @Rule
    public final TemporaryFolder tmp = new TemporaryFolder();

    private static RockerRequest request(long memory, int pids, double cpus, int weight) {
        return RockerRequest.builder().appId(1).uid(0).gid(0).pkgPath("/x.squashfs").execDir("/opt/x").dataDir("/var/x")
                .memoryLimit(memory).pidsLimit(pids).cpus(cpus).cpuWeight(weight).build();
    }

    private static Path files(Path dir, String... names) throws Exception {
        Files.createDirectories(dir);
        for (String n : names) Files.writeString(dir.resolve(n), "");
        return dir;
    }

    private static String text(Path f) throws Exception {
        return Files.readString(f);
    }

    /**
     * A spare's cgroup is made with the default limits ({@link RockerRequest#DEFAULT_PIDS_LIMIT}); a request
     * that claims it gets what differs written: no limit (0, root's) becomes "max", the default is left.
     */
    @Test
    public void aSparesCgroupGetsTheRequestsPidsLimit() throws Exception {
        Path root = files(tmp.newFolder("spare").toPath(), "cgroup.controllers", "cgroup.subtree_control", "cgroup.procs");
        Files.writeString(root.resolve("cgroup.controllers"), "pids\n");
        files(root.resolve("rocker"), "cgroup.subtree_control");
        Path cg = files(root.resolve("rocker/r1"), "cgroup.procs", "pids.max");
        Cgroups c = new Cgroups(new CgroupLayout(root, Map.of()), "rocker");
        c.create("r1", RockerRequest.builder().build());
        assertEquals(Integer.toString(RockerRequest.DEFAULT_PIDS_LIMIT), text(cg.resolve("pids.max")));
        c.limit("r1", request(0, 0, 0, 0));
        assertEquals("max", text(cg.resolve("pids.max")));
        c.limit("r1", request(0, 7, 0, 0));
        assertEquals("7", text(cg.resolve("pids.max")));
        Files.writeString(cg.resolve("pids.max"), "untouched");
        c.limit("r1", request(0, RockerRequest.DEFAULT_PIDS_LIMIT, 0, 0));
        assertEquals("the default is the spare's already", "untouched", text(cg.resolve("pids.max")));
    }

    @Test
    public void v2LimitsPlacementAndStats() throws Exception {
        Path root = files(tmp.newFolder("v2").toPath(), "cgroup.controllers", "cgroup.subtree_control", "cgroup.procs");
        Files.writeString(root.resolve("cgroup.controllers"), "cpuset cpu io memory hugetlb pids rdma misc\n");
        files(root.resolve("rocker/sub"), "cgroup.subtree_control");
        files(root.resolve("rocker"), "cgroup.subtree_control");
        Path cg = files(root.resolve("rocker/sub/r1"), "cgroup.procs", "memory.max", "memory.swap.max", "pids.max", "cpu.max",
                "cpu.weight", "memory.current", "memory.events", "pids.current", "cpu.stat");
        Cgroups c = new Cgroups(new CgroupLayout(root, Map.of()), "rocker/sub");
        c.create("r1", request(64 * MIB, 20, 0.5, 300));
        assertEquals("+memory +pids +cpu", text(root.resolve("cgroup.subtree_control")));
        assertEquals("+memory +pids +cpu", text(root.resolve("rocker/cgroup.subtree_control")));
        assertEquals("+memory +pids +cpu", text(root.resolve("rocker/sub/cgroup.subtree_control")));
        assertEquals("67108864", text(cg.resolve("memory.max")));
        assertEquals("0", text(cg.resolve("memory.swap.max")));
        assertEquals("20", text(cg.resolve("pids.max")));
        assertEquals("50000 100000", text(cg.resolve("cpu.max")));
        assertEquals("300", text(cg.resolve("cpu.weight")));
        c.enter("r1", 4242);
        assertEquals("4242", text(cg.resolve("cgroup.procs")));

        Files.writeString(cg.resolve("memory.current"), "1048576\n");
        Files.writeString(cg.resolve("memory.events"), "low 0\nhigh 0\nmax 7\noom 2\noom_kill 2\noom_group_kill 0\n");
        Files.writeString(cg.resolve("pids.current"), "5\n");
        Files.writeString(cg.resolve("cpu.stat"), "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n");
        // memory.peak is missing before Linux 5.19: -1
        assertEquals(new RockerStats(MIB, -1, 5, 1_500_000, 2), c.stats("r1").get());
        Files.writeString(cg.resolve("memory.peak"), "2097152\n");
        assertEquals(2 * MIB, c.stats("r1").get().memoryPeakBytes());
        assertTrue(c.stats("r2").isEmpty());
    }

    @Test
    public void v2WithoutLimitsWritesPidsMaxAndLeavesTheRestAlone() throws Exception {
        Path root = files(tmp.newFolder("v2").toPath(), "cgroup.controllers", "cgroup.subtree_control");
        Files.writeString(root.resolve("cgroup.controllers"), "memory pids\n");
        files(root.resolve("rocker"), "cgroup.subtree_control");
        Path cg = files(root.resolve("rocker/r1"), "memory.max", "pids.max", "cgroup.procs");
        Files.writeString(cg.resolve("memory.max"), "max\n");
        new Cgroups(new CgroupLayout(root, Map.of()), "rocker").create("r1", request(0, 0, 0, 0));
        assertEquals("+memory +pids", text(root.resolve("rocker/cgroup.subtree_control")));
        assertEquals("max", text(cg.resolve("pids.max")));
        assertEquals("max\n", text(cg.resolve("memory.max")));
    }

    @Test
    public void v1WithoutSwapAccountingAndCpuApart() throws Exception {
        Path base = tmp.newFolder("v1").toPath();
        Path mem = files(base.resolve("memory/p/r1"), "memory.limit_in_bytes", "cgroup.procs", "memory.usage_in_bytes",
                "memory.max_usage_in_bytes", "memory.oom_control");
        Path pids = files(base.resolve("pids/p/r1"), "pids.max", "cgroup.procs", "pids.current");
        Path cpu = files(base.resolve("cpu/p/r1"), "cpu.cfs_period_us", "cpu.cfs_quota_us", "cpu.shares", "cgroup.procs");
        Path acct = files(base.resolve("cpuacct/p/r1"), "cpuacct.usage", "cgroup.procs");
        Cgroups c = new Cgroups(new CgroupLayout(null, Map.of("memory", base.resolve("memory"), "pids", base.resolve("pids"),
                "cpu", base.resolve("cpu"), "cpuacct", base.resolve("cpuacct"))), "p");
        c.create("r1", request(64 * MIB, 0, 2.5, 1));
        assertEquals("67108864", text(mem.resolve("memory.limit_in_bytes")));
        assertFalse("no swap accounting: not made", Files.exists(mem.resolve("memory.memsw.limit_in_bytes")));
        assertEquals("max", text(pids.resolve("pids.max")));
        assertEquals("100000", text(cpu.resolve("cpu.cfs_period_us")));
        assertEquals("250000", text(cpu.resolve("cpu.cfs_quota_us")));
        assertEquals("10", text(cpu.resolve("cpu.shares")));
        c.enter("r1", 7);
        for (Path d : List.of(mem, pids, cpu, acct)) assertEquals("7", text(d.resolve("cgroup.procs")));
        Files.writeString(mem.resolve("memory.usage_in_bytes"), "4096\n");
        Files.writeString(mem.resolve("memory.max_usage_in_bytes"), "8192\n");
        Files.writeString(mem.resolve("memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
        Files.writeString(pids.resolve("pids.current"), "4\n");
        Files.writeString(acct.resolve("cpuacct.usage"), "123456789\n");
        assertEquals(new RockerStats(4096, 8192, 4, 123456789, 3), c.stats("r1").get());
    }

    @Test
    public void aMissingControllerForALimitIsRefused() throws Exception {
        Path root = files(tmp.newFolder("v2").toPath(), "cgroup.controllers");
        Cgroups c = new Cgroups(new CgroupLayout(root, Map.of()), "rocker");
        try {
            c.create("r1", request(64 * MIB, 0, 0, 0));
            fail();
        } catch (RockerException e) {
            assertEquals(RockerError.BUILD_ROCKER_FAILED, e.error());
            assertTrue(e.getMessage(), e.getMessage().startsWith("cannot apply memory 67108864: this host has no memory cgroup controller"));
        }
        assertFalse(Files.exists(root.resolve("rocker/r1")));
        // the default process limit without a pids controller: a warning, no failure
        Files.createDirectories(root.resolve("rocker"));
        c.create("r2", request(0, RockerRequest.DEFAULT_PIDS_LIMIT, 0, 0));
        assertTrue(c.remove("r2"));
        assertFalse(Files.exists(root.resolve("rocker/r2")));
    }

    @Test
    public void controllersAreFoundInTheMountTable() {
        CgroupLayout l = CgroupLayout.fromMountInfo(List.of(
                "30 25 0:26 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755",
                "31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw",
                "34 30 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:12 - cgroup cgroup rw,cpu,cpuacct",
                "35 30 0:31 / /sys/fs/cgroup/memory rw,relatime shared:13 - cgroup cgroup rw,memory",
                "36 30 0:32 / /sys/fs/cgroup/pids rw,relatime shared:14 - cgroup cgroup rw,pids",
                "37 30 0:33 / /sys/fs/cgroup/systemd rw,relatime shared:15 - cgroup cgroup rw,xattr,name=systemd",
                "38 30 0:34 / /mnt/my\\040cgroup rw - cgroup cgroup rw,freezer"));
        assertEquals(Path.of("/sys/fs/cgroup/unified"), l.v2);
        assertEquals(Path.of("/sys/fs/cgroup/cpu,cpuacct"), l.hierarchyOf("cpu"));
        assertEquals(Path.of("/sys/fs/cgroup/cpu,cpuacct"), l.v1.get("cpuacct"));
        assertEquals(Path.of("/sys/fs/cgroup/memory"), l.hierarchyOf("memory"));
        assertNull(l.hierarchyOf("freezer"));
        assertEquals(List.of(Path.of("/sys/fs/cgroup/cpu,cpuacct"), Path.of("/sys/fs/cgroup/memory"), Path.of("/sys/fs/cgroup/pids"),
                Path.of("/sys/fs/cgroup/unified")), l.hierarchies());

        CgroupLayout pure = CgroupLayout.fromMountInfo(List.of("29 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate"));
        assertEquals(Path.of("/sys/fs/cgroup"), pure.v2);
        assertTrue(pure.v1.isEmpty());
    }

    @Test
    public void theParentIsAPathOfPlainNames() {
        for (String bad : new String[] {"", "/rocker", "rocker/", "../x", "a/../b", "a//b", "a b"}) {
            try {
                Cgroups.checkParent(bad);
                fail(bad);
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage(), e.getMessage().startsWith("cgroupParent '" + bad + "'"));
            }
        }
        assertEquals("rocker/tests", Cgroups.checkParent("rocker/tests"));
    }
}
