package rocker.cli;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import org.junit.Rule;
import org.junit.Test;

import rocker.server.testing.ServerFixture;

/** The CLI talking to a real server over a real socket. */
public class CliOverSocketTest {
    @Rule
    public final ServerFixture fixture = new ServerFixture();
    private final CliHarness cli = new CliHarness();

    @Test
    public void runWaitStreamsTheOutputAndExitsWithTheStatus() {
        cli.realSocket = fixture.socket();
        fixture.engine.exitStatus = 3;
        int status = cli.run("run", "--socket", fixture.socket().toString(), "--pkg", "/tmp/a.squashfs", "--exec-dir", "/opt/a",
                "--data-dir", "/tmp/data", "--wait", "--", "/bin/app");
        assertEquals(cli.err(), 3, status);
        assertEquals("hello from the app\n", cli.out());
        assertEquals("a warning\n", cli.err());
    }

    @Test
    public void lsAndKillThroughTheServer() {
        cli.realSocket = fixture.socket();
        assertEquals(0, cli.run("run", "--pkg", "/tmp/a.squashfs", "--exec-dir", "/opt/a", "--data-dir", "/tmp/data", "--json", "--", "/bin/app"));
        assertTrue(cli.out(), cli.out().contains("\"guard_name\":\"rocker-fake-1\""));
        assertEquals(0, cli.run("ls", "--json"));
        assertTrue(cli.out(), cli.out().startsWith("[{\"guard_name\":\"rocker-fake-1\",\"guard_pid\":10001"));
        assertEquals(0, cli.run("kill", "10001"));
        assertEquals(0, cli.run("ls", "--json"));
        assertEquals("[]\n", cli.out());
    }

    @Test
    public void devicesAndSharesGoThroughTheServerAndComeBackInLs() {
        cli.realSocket = fixture.socket();
        assertEquals(0, cli.run("run", "--pkg", "/tmp/a.squashfs", "--exec-dir", "/opt/a", "--data-dir", "/tmp/data",
                "--device", "/dev/ttyUSB0", "--share", "in:ro", "--", "/bin/app"));
        assertEquals(java.util.List.of("/dev/ttyUSB0"), fixture.engine.requests.get(0).devices());
        assertEquals(java.util.List.of(rocker.api.SharedDir.readOnly("/work/dir/in")), fixture.engine.requests.get(0).sharedDirs());
        assertEquals(0, cli.run("ls", "--json"));
        assertTrue(cli.out(), cli.out().endsWith("\"devices\":[\"/dev/ttyUSB0\"],\"shared_dirs\":[{\"path\":\"/work/dir/in\",\"read_only\":true}]}]\n"));
        assertEquals(125, cli.run("run", "--pkg", "/tmp/a.squashfs", "--exec-dir", "/opt/a", "--data-dir", "/tmp/data",
                "--share", "/opt", "--", "/bin/app"));
        assertTrue(cli.err(), cli.err().startsWith("rocker: param_invalid: shared_dirs '/opt': must not be app_exec_dir, hold it or lie in it"));
    }

    @Test
    public void seccompGoesThroughTheServerAndComesBackInLs() {
        cli.realSocket = fixture.socket();
        // this test runs as root, which may change the filter (others: docs/cli.md, NonRootClientTest)
        assertEquals(cli.err(), 0, cli.run("run", "--pkg", "/tmp/a.squashfs", "--exec-dir", "/opt/a", "--data-dir", "/tmp/data",
                "--seccomp", "profiles/app.json", "--", "/bin/app"));
        assertEquals("/work/dir/profiles/app.json", fixture.engine.requests.get(0).seccomp());
        assertEquals(0, cli.run("ls", "--json"));
        assertTrue(cli.out(), cli.out().endsWith("\"data_dir\":\"/tmp/data\",\"seccomp\":\"/work/dir/profiles/app.json\"}]\n"));
    }

    @Test
    public void limitsGoThroughTheServerAndStatsComeBack() {
        cli.realSocket = fixture.socket();
        assertEquals(cli.err(), 0, cli.run("run", "--pkg", "/tmp/a.squashfs", "--exec-dir", "/opt/a", "--data-dir", "/tmp/data",
                "--memory", "64M", "--pids", "100", "--cpus", "0.5", "--cpu-weight", "50", "--log-max", "1M", "--", "/bin/app"));
        rocker.api.RockerRequest r = fixture.engine.requests.get(0);
        assertEquals(64L << 20, r.memoryLimit());
        assertEquals(100, r.pidsLimit());
        assertEquals(0.5, r.cpus(), 0);
        assertEquals(50, r.cpuWeight());
        assertEquals(1L << 20, r.logLimit());
        // figures unknown: '-' in ls, no "stats" in its JSON, exit 1 for stats
        assertEquals(0, cli.run("ls"));
        assertTrue(cli.out(), cli.out().split("\n")[1].matches("rocker-fake-1 +10001 +0 +\\S+ +- +- +- +/tmp/a.squashfs"));
        assertEquals(0, cli.run("ls", "--json"));
        assertTrue(cli.out(), cli.out().endsWith("\"memory_limit\":67108864,\"pids_limit\":100,\"cpus\":0.5,\"cpu_weight\":50,"
                + "\"log_limit\":1048576}]\n"));
        assertEquals(1, cli.run("stats", "rocker-fake-1"));
        assertEquals("rocker: no figures for rocker-fake-1: no such rocker, or the server cannot tell\n", cli.err());
        // known
        fixture.engine.stats.put("rocker-fake-1", new rocker.api.RockerStats(52_428_800, 67_108_864, 12, 1_500_000_000L, 1));
        assertEquals(0, cli.run("ls"));
        assertTrue(cli.out(), cli.out().split("\n")[1].matches("rocker-fake-1 +10001 +0 +\\S+ +50\\.0MiB +12 +-  /tmp/a.squashfs"));
        assertEquals(0, cli.run("ls", "--json"));
        assertTrue(cli.out(), cli.out().endsWith("\"log_limit\":1048576,\"stats\":{\"memory\":52428800,\"memory_peak\":67108864,"
                + "\"pids\":12,\"cpu_ns\":1500000000,\"oom_kills\":1}}]\n"));
        assertEquals(0, cli.run("stats", "rocker-fake-1"));
        assertEquals("rocker-fake-1\n  memory     50.0MiB (peak 64.0MiB)\n  pids       12\n  cpu time   1.500s\n  oom kills  1\n", cli.out());
        assertEquals(0, cli.run("stats", "--json", "rocker-fake-1"));
        assertEquals("{\"guard_name\":\"rocker-fake-1\",\"memory\":52428800,\"memory_peak\":67108864,\"pids\":12,"
                + "\"cpu_ns\":1500000000,\"oom_kills\":1}\n", cli.out());
        assertEquals(1, cli.run("stats", "nope"));
        // this test runs as root, which may lift the limits (others: docs/cli.md, NonRootClientTest)
        assertEquals(cli.err(), 0, cli.run("run", "--pkg", "/tmp/a.squashfs", "--exec-dir", "/opt/a", "--data-dir", "/tmp/data",
                "--pids", "0", "--log-max", "0", "--", "/bin/app"));
        assertEquals(0, fixture.engine.requests.get(1).pidsLimit());
        assertEquals(0, fixture.engine.requests.get(1).logLimit());
    }

    @Test
    public void noServerIsAClearFailure() {
        cli.realSocket = fixture.dir().resolve("absent.sock");
        assertEquals(125, cli.run("ls"));
        assertTrue(cli.err(), cli.err().startsWith("rocker: server_unaddr_invalid: cannot connect to"));
        assertTrue(cli.err(), cli.err().contains("is 'rocker serve' running?"));
    }
}
