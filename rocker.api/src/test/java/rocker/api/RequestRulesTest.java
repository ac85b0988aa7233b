package rocker.api;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import org.junit.Test;

/** Every validation rule with one input it refuses (naming field and value) and one it accepts. */
public class RequestRulesTest {

    /** The seed's own example request. */
    static RockerRequest.Builder seed() {
        return RockerRequest.builder().appId(1000).uid(1000).gid(1000)
                .pkgPath("/tmp/your_APP.squashfs")
                .execDir("/var/your_APP/execdir")
                .dataDir("/var/your_APP/datadir")
                .overlayDirs(RockerRequest.SEED_OVERLAY_DIRS);
    }

    private static void refused(UnaryOperator<RockerRequest.Builder> change, String field, String valuePart) {
        RockerRequest r = change.apply(seed()).build();
        try {
            r.validate();
            fail("accepted " + r);
        } catch (RockerException e) {
            assertEquals(RockerError.PARAM_INVALID, e.error());
            assertTrue(e.getMessage(), e.getMessage().startsWith(field + " '"));
            assertTrue(e.getMessage(), e.getMessage().contains(valuePart));
        }
    }

    private static void accepted(UnaryOperator<RockerRequest.Builder> change) {
        RockerRequest r = change.apply(seed()).build();
        assertSame(r, r.validate());
    }

    @Test
    public void seedExampleIsValid() {
        accepted(b -> b);
    }

    @Test
    public void ids() {
        refused(b -> b.appId(-1), "app_id", "-1");
        accepted(b -> b.appId(0));
        refused(b -> b.uid(-5), "uid", "-5");
        accepted(b -> b.uid(0));
        accepted(b -> b.uid(Integer.MAX_VALUE));
        refused(b -> b.gid(-2), "gid", "-2");
        accepted(b -> b.gid(65534));
    }

    @Test
    public void groups() {
        refused(b -> b.groups(List.of(10, -3)), "groups", "-3");
        List<Integer> many = new ArrayList<>();
        for (int i = 0; i < 33; i++) many.add(i);
        refused(b -> b.groups(many), "groups", "32");
        accepted(b -> b.groups(many.subList(0, 32)));
    }

    @Test
    public void pathsAreRequiredAbsoluteAndNormalized() {
        refused(b -> b.pkgPath(null), "app_pkg_path", "null");
        refused(b -> b.pkgPath(""), "app_pkg_path", "required");
        refused(b -> b.pkgPath("tmp/a.squashfs"), "app_pkg_path", "tmp/a.squashfs");
        refused(b -> b.pkgPath("/tmp/../etc/a"), "app_pkg_path", "/tmp/../etc/a");
        refused(b -> b.pkgPath("/tmp/./a"), "app_pkg_path", "normalized");
        refused(b -> b.pkgPath("/tmp//a"), "app_pkg_path", "normalized");
        refused(b -> b.pkgPath("/tmp/a/"), "app_pkg_path", "end with");
        refused(b -> b.pkgPath("/tmp/a\0b"), "app_pkg_path", "NUL");
        refused(b -> b.pkgPath("/tmp/a\nb"), "app_pkg_path", "control");
        refused(b -> b.pkgPath("/" + "x".repeat(256)), "app_pkg_path", "255");
        refused(b -> b.pkgPath(("/" + "x".repeat(200)).repeat(21)), "app_pkg_path", "4095");
        accepted(b -> b.pkgPath("/tmp/a b.squashfs"));
        accepted(b -> b.pkgPath(("/" + "x".repeat(200)).repeat(20)));
        refused(b -> b.execDir("relative"), "app_exec_dir", "relative");
        refused(b -> b.dataDir("/var/x/../y"), "app_data_dir", "/var/x/../y");
    }

    @Test
    public void execAndDataDirsAreNotRootNorKernelNorEachOther() {
        refused(b -> b.execDir("/"), "app_exec_dir", "root");
        refused(b -> b.dataDir("/"), "app_data_dir", "root");
        refused(b -> b.execDir("/proc/x"), "app_exec_dir", "/proc/x");
        refused(b -> b.dataDir("/sys/fs/x"), "app_data_dir", "/sys/fs/x");
        refused(b -> b.dataDir("/dev"), "app_data_dir", "/dev");
        refused(b -> b.dataDir("/var/your_APP/execdir"), "app_data_dir", "execdir");
        refused(b -> b.dataDir("/var/your_APP/execdir/d"), "app_data_dir", "execdir/d");
        refused(b -> b.execDir("/var/your_APP/datadir/e"), "app_exec_dir", "datadir/e");
        accepted(b -> b.dataDir("/var/your_APP/execdir2"));
        refused(b -> b.dataDir("/srv/a,b"), "app_data_dir", "','");
        refused(b -> b.dataDir("/srv/a:b"), "app_data_dir", "':'");
        accepted(b -> b.dataDir("/srv/a_b"));
        refused(b -> b.execDir("/usr"), "app_exec_dir", "/usr");
        accepted(b -> b.execDir("/opt"));
    }

    @Test
    public void overlayDirs() {
        List<String> seventeen = new ArrayList<>();
        for (int i = 0; i < 17; i++) seventeen.add("/d" + i);
        refused(b -> b.overlayDirs(seventeen), "app_overlay_dirs", "16");
        accepted(b -> b.overlayDirs(seventeen.subList(0, 16)));
        accepted(b -> b.overlayDirs(List.of()));
        refused(b -> b.overlayDirs("/"), "app_overlay_dirs", "'/'");
        refused(b -> b.overlayDirs("/proc"), "app_overlay_dirs", "/proc");
        refused(b -> b.overlayDirs("/sys"), "app_overlay_dirs", "/sys");
        refused(b -> b.overlayDirs("/dev"), "app_overlay_dirs", "/dev");
        refused(b -> b.overlayDirs("/usr/lib"), "app_overlay_dirs", "/usr/lib");
        refused(b -> b.overlayDirs("/usr", "/usr"), "app_overlay_dirs", "twice");
        refused(b -> b.overlayDirs("usr"), "app_overlay_dirs", "usr");
        refused(b -> b.overlayDirs("/a,b"), "app_overlay_dirs", "/a,b");
        refused(b -> b.overlayDirs((String) null), "app_overlay_dirs", "null");
        accepted(b -> b.overlayDirs("/srv", "/opt"));
    }

    @Test
    public void hostname() {
        accepted(b -> b.hostname(null));
        accepted(b -> b.hostname("gw-01.example"));
        refused(b -> b.hostname(""), "hostname", "1 to 64");
        refused(b -> b.hostname("x".repeat(65)), "hostname", "1 to 64");
        refused(b -> b.hostname("-bad"), "hostname", "-bad");
        refused(b -> b.hostname("a..b"), "hostname", "a..b");
        refused(b -> b.hostname("under_score"), "hostname", "under_score");
    }

    @Test
    public void network() {
        assertEquals(NetworkMode.HOST, seed().network(null).build().validate().network());
        accepted(b -> b.network(NetworkMode.NONE));
    }

    /** Refused with exactly {@code message} (param_invalid). */
    private static void refusedWith(UnaryOperator<RockerRequest.Builder> change, String message) {
        RockerRequest r = change.apply(seed()).build();
        try {
            r.validate();
            fail("accepted " + r);
        } catch (RockerException e) {
            assertEquals(RockerError.PARAM_INVALID, e.error());
            assertEquals(message, e.getMessage());
        }
    }

    @Test
    public void devicesAreNodesUnderDev() {
        accepted(b -> b.devices(List.of()));
        accepted(b -> b.devices(List.of("/dev/ttyUSB0", "/dev/bus/usb/001/002")));
        refusedWith(b -> b.addDevice("dev/ttyUSB0"), "devices 'dev/ttyUSB0': must be an absolute path");
        refusedWith(b -> b.addDevice(""), "devices '': is required");
        refusedWith(b -> b.addDevice(null), "devices 'null': is required");
        refusedWith(b -> b.addDevice("/dev/../etc/shadow"), "devices '/dev/../etc/shadow': must be normalized (no '.', '..' or '//')");
        refusedWith(b -> b.addDevice("/dev"), "devices '/dev': must be a device node under /dev");
        refusedWith(b -> b.addDevice("/dev/"), "devices '/dev/': must not end with '/'");
        refusedWith(b -> b.addDevice("/devices/x"), "devices '/devices/x': must be a device node under /dev");
        refusedWith(b -> b.addDevice("/tmp/ttyUSB0"), "devices '/tmp/ttyUSB0': must be a device node under /dev");
        refusedWith(b -> b.devices(List.of("/dev/ttyUSB0", "/dev/ttyACM0", "/dev/ttyUSB0")),
                "devices '/dev/ttyUSB0': is listed twice");
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 33; i++) many.add("/dev/tty" + i);
        refusedWith(b -> b.devices(many), "devices '" + many + "': more than 32 devices");
        accepted(b -> b.devices(many.subList(0, 32)));
    }

    @Test
    public void sharedDirsAreHostDirsAwayFromTheKernelAndTheImage() {
        accepted(b -> b.sharedDirs(List.of()));
        accepted(b -> b.sharedDirs(List.of(SharedDir.readWrite("/srv/shared"), SharedDir.readOnly("/etc/ssl"))));
        // the data dir, a sibling of the exec dir and a dir whose name starts like it are fine
        accepted(b -> b.addSharedDir(SharedDir.readOnly("/var/your_APP/datadir"))
                .addSharedDir(SharedDir.readWrite("/var/your_APP/execdir2")));
        refusedWith(b -> b.addSharedDir(SharedDir.readWrite("srv/shared")), "shared_dirs 'srv/shared': must be an absolute path");
        refusedWith(b -> b.addSharedDir(SharedDir.readWrite("/srv/a/../b")),
                "shared_dirs '/srv/a/../b': must be normalized (no '.', '..' or '//')");
        refusedWith(b -> b.addSharedDir(SharedDir.readWrite(null)), "shared_dirs 'null': is required");
        refusedWith(b -> b.addSharedDir(null), "shared_dirs 'null': an entry is missing");
        refusedWith(b -> b.addSharedDir(SharedDir.readOnly("/")), "shared_dirs '/': must not be the root dir");
        refusedWith(b -> b.addSharedDir(SharedDir.readOnly("/proc")), "shared_dirs '/proc': must not be in /proc");
        refusedWith(b -> b.addSharedDir(SharedDir.readOnly("/proc/1")), "shared_dirs '/proc/1': must not be in /proc");
        refusedWith(b -> b.addSharedDir(SharedDir.readWrite("/sys")), "shared_dirs '/sys': must not be in /sys");
        refusedWith(b -> b.addSharedDir(SharedDir.readWrite("/sys/fs/cgroup")), "shared_dirs '/sys/fs/cgroup': must not be in /sys");
        refusedWith(b -> b.addSharedDir(SharedDir.readWrite("/dev")), "shared_dirs '/dev': must not be in /dev");
        refusedWith(b -> b.addSharedDir(SharedDir.readWrite("/dev/shm")), "shared_dirs '/dev/shm': must not be in /dev");
        String image = ": must not be app_exec_dir, hold it or lie in it (the image is mounted there)";
        refusedWith(b -> b.addSharedDir(SharedDir.readOnly("/var/your_APP/execdir")), "shared_dirs '/var/your_APP/execdir'" + image);
        refusedWith(b -> b.addSharedDir(SharedDir.readOnly("/var/your_APP")), "shared_dirs '/var/your_APP'" + image);
        refusedWith(b -> b.addSharedDir(SharedDir.readOnly("/var")), "shared_dirs '/var'" + image);
        refusedWith(b -> b.addSharedDir(SharedDir.readWrite("/var/your_APP/execdir/conf")),
                "shared_dirs '/var/your_APP/execdir/conf'" + image);
        // twice, even once read-only and once read-write
        refusedWith(b -> b.sharedDirs(List.of(SharedDir.readWrite("/srv/a"), SharedDir.readOnly("/srv/a"))),
                "shared_dirs '/srv/a': is listed twice");
        List<SharedDir> many = new ArrayList<>();
        for (int i = 0; i < 17; i++) many.add(SharedDir.readWrite("/srv/d" + i));
        refusedWith(b -> b.sharedDirs(many), "shared_dirs '" + many + "': more than 16 dirs");
        accepted(b -> b.sharedDirs(many.subList(0, 16)));
    }

    @Test
    public void seccompIsTheDefaultUnconfinedOrAnAbsoluteProfile() {
        accepted(b -> b.seccomp(null));
        accepted(b -> b.seccomp(RockerRequest.SECCOMP_UNCONFINED));
        assertEquals("unconfined", RockerRequest.SECCOMP_UNCONFINED);
        accepted(b -> b.seccomp("/etc/rocker/seccomp/app.json"));
        // a file named "unconfined" is a path like any other: absolute, or it is not a profile
        accepted(b -> b.seccomp("/etc/rocker/unconfined"));
        refusedWith(b -> b.seccomp("profile.json"), "seccomp 'profile.json': must be an absolute path");
        refusedWith(b -> b.seccomp("./unconfined"), "seccomp './unconfined': must be an absolute path");
        refusedWith(b -> b.seccomp(""), "seccomp '': is required");
        refusedWith(b -> b.seccomp("Unconfined"), "seccomp 'Unconfined': must be an absolute path");
        refusedWith(b -> b.seccomp("/etc/rocker/../shadow"), "seccomp '/etc/rocker/../shadow': must be normalized (no '.', '..' or '//')");
        refusedWith(b -> b.seccomp("/etc/rocker/app.json/"), "seccomp '/etc/rocker/app.json/': must not end with '/'");
        refusedWith(b -> b.seccomp("/etc/a\nb.json"), "seccomp '/etc/a\nb.json': contains a control character");
    }

    @Test
    public void aPathWithTheMarkOfBytesThatWereNotUtf8IsRefused() {
        // "/data/d\xe4" and "/data/d\xfc" from a client that decoded Latin-1 bytes as UTF-8: one dir, were they taken
        refusedWith(b -> b.dataDir("/data/d\uFFFD"),
                "app_data_dir '/data/d\uFFFD': contains U+FFFD, the mark of bytes that were not UTF-8 (paths are UTF-8)");
        refusedWith(b -> b.pkgPath("/opt/\uFFFD.squashfs"),
                "app_pkg_path '/opt/\uFFFD.squashfs': contains U+FFFD, the mark of bytes that were not UTF-8 (paths are UTF-8)");
    }

    @Test
    public void sharedDirsParseLikeTheCommandLine() {
        assertEquals(SharedDir.readWrite("/srv/d"), SharedDir.parse("/srv/d"));
        assertEquals(SharedDir.readOnly("/srv/d"), SharedDir.parse("/srv/d:ro"));
        assertEquals(SharedDir.readWrite("/srv/d"), SharedDir.parse("/srv/d:rw"));
        assertEquals(SharedDir.readWrite("d"), SharedDir.parse("d"));
        assertEquals(SharedDir.readOnly("d"), SharedDir.parse("d:ro"));
        assertEquals(SharedDir.readWrite("d"), SharedDir.parse("d:rw"));
        assertTrue(SharedDir.parse("d:ro").isReadOnly());
        assertEquals("d", SharedDir.parse("d:ro").path());
        assertEquals(null, SharedDir.parse(null));
        // only a last ":ro" or ":rw" is a mode; any other colon belongs to the path
        assertEquals(SharedDir.readWrite("/srv/a:b"), SharedDir.parse("/srv/a:b"));
        assertEquals(SharedDir.readOnly("/srv/a:rw"), SharedDir.parse("/srv/a:rw:ro"));
        assertEquals("/srv/d:ro", SharedDir.readOnly("/srv/d").toString());
        assertEquals("/srv/d", SharedDir.readWrite("/srv/d").toString());
        assertTrue(!SharedDir.readOnly("/srv/d").equals(SharedDir.readWrite("/srv/d")));
    }

    @Test
    public void theNewFieldsAreCopiedAndCompared() {
        RockerRequest r = seed().addDevice("/dev/ttyUSB0").addSharedDir(SharedDir.readOnly("/srv/d")).build();
        assertEquals(List.of("/dev/ttyUSB0"), r.devices());
        assertEquals(List.of(SharedDir.readOnly("/srv/d")), r.sharedDirs());
        assertEquals(r, r.toBuilder().build());
        assertEquals(r.hashCode(), r.toBuilder().build().hashCode());
        assertTrue(!r.equals(r.toBuilder().devices(List.of()).build()));
        assertTrue(!r.equals(r.toBuilder().sharedDirs(List.of(SharedDir.readWrite("/srv/d"))).build()));
        assertTrue(r.toString(), r.toString().endsWith(", devices=[/dev/ttyUSB0], shared=[/srv/d:ro]]"));
        assertTrue(seed().build().toString().endsWith("rm=false]"));
        RockerRequest filtered = r.toBuilder().seccomp("/etc/rocker/app.json").build();
        assertEquals("/etc/rocker/app.json", filtered.seccomp());
        assertEquals(null, r.seccomp());
        assertEquals(filtered, filtered.toBuilder().build());
        assertEquals(filtered.hashCode(), filtered.toBuilder().build().hashCode());
        assertTrue(!filtered.equals(r));
        assertTrue(!filtered.equals(filtered.toBuilder().seccomp(RockerRequest.SECCOMP_UNCONFINED).build()));
        assertTrue(filtered.toString(), filtered.toString().endsWith(", shared=[/srv/d:ro], seccomp=/etc/rocker/app.json]"));
        try {
            r.devices().add("/dev/null");
            fail();
        } catch (UnsupportedOperationException expected) {
            // immutable
        }
    }

    @Test
    public void resourceLimits() {
        RockerRequest plain = seed().build();
        assertEquals(0, plain.memoryLimit());
        assertEquals(RockerRequest.DEFAULT_PIDS_LIMIT, plain.pidsLimit());
        assertEquals(1024, RockerRequest.DEFAULT_PIDS_LIMIT);
        assertEquals(0, plain.cpus(), 0);
        assertEquals(0, plain.cpuWeight());
        assertEquals(RockerRequest.DEFAULT_LOG_LIMIT, plain.logLimit());
        assertEquals(10L * 1024 * 1024, RockerRequest.DEFAULT_LOG_LIMIT);

        // memory: 0 (no limit) or at least 4 MiB
        accepted(b -> b.memoryLimit(0));
        accepted(b -> b.memoryLimit(4L << 20));
        accepted(b -> b.memoryLimit(Long.MAX_VALUE));
        refusedWith(b -> b.memoryLimit((4L << 20) - 1), "memory '4194303': must be 0 (no limit) or at least 4194304 bytes (4 MiB)");
        refusedWith(b -> b.memoryLimit(1), "memory '1': must be 0 (no limit) or at least 4194304 bytes (4 MiB)");
        refusedWith(b -> b.memoryLimit(-1), "memory '-1': must be 0 (no limit) or at least 4194304 bytes (4 MiB)");

        // pids: 0 (no limit) or enough for keeper, guard and app
        accepted(b -> b.pidsLimit(0));
        accepted(b -> b.pidsLimit(3));
        accepted(b -> b.pidsLimit(Integer.MAX_VALUE));
        refusedWith(b -> b.pidsLimit(-1), "pids '-1': must be 0 (no limit) or at least 3 (the rocker's keeper and guard count too)");
        refusedWith(b -> b.pidsLimit(1), "pids '1': must be 0 (no limit) or at least 3 (the rocker's keeper and guard count too)");
        refusedWith(b -> b.pidsLimit(2), "pids '2': must be 0 (no limit) or at least 3 (the rocker's keeper and guard count too)");

        // cpus: 0 (no quota) or 0.01 to 4096; NaN never
        accepted(b -> b.cpus(0));
        accepted(b -> b.cpus(0.01));
        accepted(b -> b.cpus(0.5));
        accepted(b -> b.cpus(4096));
        String cpus = "': must be 0 (no quota) or between 0.01 and 4096";
        refusedWith(b -> b.cpus(0.009), "cpus '0.009" + cpus);
        refusedWith(b -> b.cpus(-1), "cpus '-1.0" + cpus);
        refusedWith(b -> b.cpus(4096.5), "cpus '4096.5" + cpus);
        refusedWith(b -> b.cpus(Double.NaN), "cpus 'NaN" + cpus);
        refusedWith(b -> b.cpus(Double.POSITIVE_INFINITY), "cpus 'Infinity" + cpus);

        // cpu_weight: 0 (the default) or 1 to 10000
        accepted(b -> b.cpuWeight(0));
        accepted(b -> b.cpuWeight(1));
        accepted(b -> b.cpuWeight(10000));
        refusedWith(b -> b.cpuWeight(10001), "cpu_weight '10001': must be 0 (the default) or between 1 and 10000");
        refusedWith(b -> b.cpuWeight(-1), "cpu_weight '-1': must be 0 (the default) or between 1 and 10000");

        // log_limit: 0 (unbounded) or at least 4096 bytes
        accepted(b -> b.logLimit(0));
        accepted(b -> b.logLimit(4096));
        refusedWith(b -> b.logLimit(4095), "log_limit '4095': must be 0 (unbounded) or at least 4096 bytes");
        refusedWith(b -> b.logLimit(-1), "log_limit '-1': must be 0 (unbounded) or at least 4096 bytes");
    }

    @Test
    public void limitsAreCopiedComparedAndShown() {
        RockerRequest r = seed().memoryLimit(64L << 20).pidsLimit(100).cpus(0.5).cpuWeight(50).logLimit(1L << 20).build();
        assertEquals(64L << 20, r.memoryLimit());
        assertEquals(100, r.pidsLimit());
        assertEquals(0.5, r.cpus(), 0);
        assertEquals(50, r.cpuWeight());
        assertEquals(1L << 20, r.logLimit());
        assertEquals(r, r.toBuilder().build());
        assertEquals(r.hashCode(), r.toBuilder().build().hashCode());
        assertTrue(!r.equals(r.toBuilder().memoryLimit(0).build()));
        assertTrue(!r.equals(r.toBuilder().pidsLimit(101).build()));
        assertTrue(!r.equals(r.toBuilder().cpus(0.25).build()));
        assertTrue(!r.equals(r.toBuilder().cpuWeight(51).build()));
        assertTrue(!r.equals(r.toBuilder().logLimit(0).build()));
        assertTrue(r.toString(), r.toString().endsWith(", memory=67108864, pids=100, cpus=0.5, cpu_weight=50, log_limit=1048576]"));
        // the defaults said out loud are the defaults, and are not shown
        RockerRequest defaults = seed().memoryLimit(0).pidsLimit(1024).cpus(0).cpuWeight(0).logLimit(10L << 20).build();
        assertEquals(seed().build(), defaults);
        assertEquals(seed().build().hashCode(), defaults.hashCode());
        assertTrue(defaults.toString().endsWith("rm=false]"));
        assertTrue(seed().pidsLimit(0).logLimit(0).build().toString().endsWith(", pids=0, log_limit=0]"));
    }

    @Test
    public void statsAreValues() {
        RockerStats s = new RockerStats(50L << 20, 64L << 20, 12, 1_500_000_000L, 2);
        assertEquals(50L << 20, s.memoryBytes());
        assertEquals(64L << 20, s.memoryPeakBytes());
        assertEquals(12, s.pids());
        assertEquals(1_500_000_000L, s.cpuNanos());
        assertEquals(2, s.oomKills());
        assertEquals(s, new RockerStats(50L << 20, 64L << 20, 12, 1_500_000_000L, 2));
        assertEquals(s.hashCode(), new RockerStats(50L << 20, 64L << 20, 12, 1_500_000_000L, 2).hashCode());
        assertTrue(!s.equals(new RockerStats(1, 64L << 20, 12, 1_500_000_000L, 2)));
        assertTrue(!s.equals(new RockerStats(50L << 20, -1, 12, 1_500_000_000L, 2)));
        assertTrue(!s.equals(new RockerStats(50L << 20, 64L << 20, 13, 1_500_000_000L, 2)));
        assertTrue(!s.equals(new RockerStats(50L << 20, 64L << 20, 12, 1, 2)));
        assertTrue(!s.equals(new RockerStats(50L << 20, 64L << 20, 12, 1_500_000_000L, 0)));
        assertTrue(!s.equals(null));
        assertEquals("RockerStats[memory=52428800, peak=67108864, pids=12, cpu_ns=1500000000, oom_kills=2]", s.toString());
    }

    @Test
    public void anInfoWithStatsIsAnotherValue() {
        java.time.Instant t = java.time.Instant.ofEpochSecond(1700000000);
        RockerStats s = new RockerStats(1, 2, 3, 4, 5);
        RockerInfo plain = new RockerInfo("g", 1, 2, t, seed().build());
        RockerInfo withStats = new RockerInfo("g", 1, 2, t, seed().build(), s);
        assertEquals(null, plain.stats());
        assertEquals(s, withStats.stats());
        assertEquals(plain, new RockerInfo("g", 1, 2, t, seed().build(), null));
        assertEquals(withStats, new RockerInfo("g", 1, 2, t, seed().build(), new RockerStats(1, 2, 3, 4, 5)));
        assertEquals(withStats.hashCode(), new RockerInfo("g", 1, 2, t, seed().build(), new RockerStats(1, 2, 3, 4, 5)).hashCode());
        assertTrue(!plain.equals(withStats));
        assertTrue(!withStats.equals(new RockerInfo("g", 1, 2, t, seed().build(), new RockerStats(1, 2, 3, 4, 6))));
        assertTrue(!withStats.equals(new RockerInfo("g", 1, 2, t, seed().pidsLimit(5).build(), s)));
        assertTrue(withStats.toString(), withStats.toString().endsWith(", stats=" + s + "]"));
        assertTrue(plain.toString(), !plain.toString().contains("stats"));
    }

    private static void appRefused(RockerApp.Builder b, String field, String part) {
        try {
            b.build().validate();
            fail("accepted");
        } catch (RockerException e) {
            assertEquals(RockerError.PARAM_INVALID, e.error());
            assertTrue(e.getMessage(), e.getMessage().startsWith(field + " '"));
            assertTrue(e.getMessage(), e.getMessage().contains(part));
        }
    }

    @Test
    public void apps() {
        RockerApp ok = RockerApp.builder().command("/bin/sh", "-c", "true").env("A", "1").workDir("/tmp").build();
        assertSame(ok, ok.validate());
        appRefused(RockerApp.builder(), "command", "empty");
        appRefused(RockerApp.builder().command(""), "command", "program is empty");
        appRefused(RockerApp.builder().command("/bin/echo", "a\0b"), "command", "NUL");
        appRefused(RockerApp.builder().command("/bin/true").env("A=B", "x"), "environment", "A=B");
        appRefused(RockerApp.builder().command("/bin/true").env("", "x"), "environment", "''");
        appRefused(RockerApp.builder().command("/bin/true").env("A", "x\0"), "environment", "A");
        appRefused(RockerApp.builder().command("/bin/true").workDir("tmp"), "work_dir", "tmp");
        appRefused(RockerApp.builder().command("/bin/echo", "x".repeat(130 * 1024)), "command", "bytes");
        assertEquals("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                ok.effectiveEnvironment().get("PATH"));
        assertEquals("1", ok.effectiveEnvironment().get("A"));
    }
}
