package rocker.cli;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.List;

import org.junit.Test;

import rocker.api.NetworkMode;
import rocker.api.RockerRequest;
import rocker.api.SharedDir;
import rocker.api.Stdio;

public class RunCommandTest {
    private final CliHarness cli = new CliHarness();

    private static final String[] BASE = {"run", "--pkg", "app.squashfs", "--exec-dir", "/opt/app", "--data-dir", "/var/lib/app/"};

    private static String[] with(String... more) {
        String[] all = new String[BASE.length + more.length];
        System.arraycopy(BASE, 0, all, 0, BASE.length);
        System.arraycopy(more, 0, all, BASE.length, more.length);
        return all;
    }

    @Test
    public void runsWithTheSeedDefaultsAndTheCallersIds() {
        cli.identity = new Identity(1000, 1001);
        cli.expect(0, with("--", "/bin/echo", "hi", "--not-an-option"));
        RockerRequest r = cli.local.requests.get(0);
        assertEquals(1000, r.uid());
        assertEquals(1001, r.gid());
        assertEquals(RockerRequest.SEED_OVERLAY_DIRS, r.overlayDirs());
        assertEquals("/work/dir/app.squashfs", r.pkgPath());
        assertEquals("/var/lib/app", r.dataDir());
        assertEquals(List.of("/bin/echo", "hi", "--not-an-option"), cli.local.apps.get(0).command());
        assertEquals(Stdio.Kind.LOG, cli.local.apps.get(0).stdout().kind());
        assertEquals(List.of("/run/rocker/rocker.sock"), cli.remoteSockets);
        assertEquals("guard_name=rocker-fake-1 guard_pid=10001 app_pid=20001\n", cli.out());
    }

    @Test
    public void everyOptionReachesTheRequest() {
        cli.expect(0, with("--socket=/tmp/s.sock", "--overlay", "/usr", "--overlay", "/etc",
                "--uid", "5", "--gid", "6", "--app-id", "77", "--hostname", "box", "--userns", "--net", "none", "--rm",
                "/bin/true"));
        RockerRequest r = cli.local.requests.get(0);
        assertEquals(List.of("/usr", "/etc"), r.overlayDirs());
        assertEquals(5, r.uid());
        assertEquals(6, r.gid());
        assertEquals(77, r.appId());
        assertEquals("box", r.hostname());
        assertTrue(r.userNamespace());
        assertEquals(NetworkMode.NONE, r.network());
        assertTrue(r.removeOnExit());
        assertEquals(List.of("/tmp/s.sock"), cli.remoteSockets);
        assertEquals(List.of(), r.devices());
        assertEquals(List.of(), r.sharedDirs());
        assertEquals(null, r.seccomp());
    }

    @Test
    public void seccompIsUnconfinedOrAProfileFileFromTheCurrentDir() {
        cli.expect(0, with("--seccomp", "unconfined", "--", "/bin/true"));
        assertEquals(RockerRequest.SECCOMP_UNCONFINED, cli.local.requests.get(0).seccomp());
        cli.expect(0, with("--seccomp=/etc/rocker/app.json", "--", "/bin/true"));
        assertEquals("/etc/rocker/app.json", cli.local.requests.get(1).seccomp());
        // a relative FILE is taken from the current dir /work/dir, like --pkg
        cli.expect(0, with("--seccomp", "profiles/app.json", "--", "/bin/true"));
        assertEquals("/work/dir/profiles/app.json", cli.local.requests.get(2).seccomp());
        cli.expect(0, with("--seccomp", "../p.json", "--", "/bin/true"));
        assertEquals("/work/p.json", cli.local.requests.get(3).seccomp());
        // a file named "unconfined" is spelled as a path
        cli.expect(0, with("--seccomp", "./unconfined", "--", "/bin/true"));
        assertEquals("/work/dir/unconfined", cli.local.requests.get(4).seccomp());
        // the last one given counts, like --hostname
        cli.expect(0, with("--seccomp", "unconfined", "--seccomp", "/etc/rocker/app.json", "--", "/bin/true"));
        assertEquals("/etc/rocker/app.json", cli.local.requests.get(5).seccomp());
    }

    @Test
    public void aWrongSeccompIsRefusedNamingTheField() {
        assertUsage(with("--seccomp"), "option --seccomp needs a value");
        assertUsage(with("--seccomp=", "--", "x"), "option --seccomp: the value is empty");
        assertEquals(125, cli.run(with("--seccomp", "/etc/a\nb.json", "--", "/bin/true")));
        assertTrue(cli.err(), cli.err().startsWith("rocker: param_invalid: seccomp '/etc/a\nb.json': contains a control character"));
        assertEquals(125, cli.run(with("--json", "--seccomp", "/etc/" + "x".repeat(256), "--", "/bin/true")));
        assertTrue(cli.out(), cli.out().startsWith("{\"err_no\":2,\"err\":\"param_invalid\",\"message\":\"seccomp '/etc/xxx"));
        assertTrue(cli.local.requests.isEmpty());
    }

    @Test
    public void devicesAndSharesRepeatInOrderAndSharesAreHostPaths() {
        cli.expect(0, with("--device", "/dev/ttyUSB0", "--share", "in:ro", "--device=/dev/ttyACM0",
                "--share", "/srv/out/", "--share=../up:rw", "--share", "/srv/a:b", "--", "/bin/true"));
        RockerRequest r = cli.local.requests.get(0);
        assertEquals(List.of("/dev/ttyUSB0", "/dev/ttyACM0"), r.devices());
        assertEquals(List.of(SharedDir.readOnly("/work/dir/in"), SharedDir.readWrite("/srv/out"),
                SharedDir.readWrite("/work/up"), SharedDir.readWrite("/srv/a:b")), r.sharedDirs());
    }

    @Test
    public void devicesAndSharesAreValidatedNamingTheField() {
        assertEquals(125, cli.run(with("--device", "/tmp/ttyUSB0", "--", "/bin/true")));
        assertTrue(cli.err(), cli.err().startsWith("rocker: param_invalid: devices '/tmp/ttyUSB0': must be a device node under /dev"));
        assertEquals(125, cli.run(with("--device", "ttyUSB0", "--", "/bin/true")));
        assertTrue(cli.err(), cli.err().startsWith("rocker: param_invalid: devices 'ttyUSB0': must be an absolute path"));
        assertEquals(125, cli.run(with("--device", "/dev/a", "--device", "/dev/a", "--", "/bin/true")));
        assertTrue(cli.err(), cli.err().startsWith("rocker: param_invalid: devices '/dev/a': is listed twice"));
        assertEquals(125, cli.run(with("--json", "--share", "/:ro", "--", "/bin/true")));
        assertTrue(cli.out(), cli.out().startsWith("{\"err_no\":2,\"err\":\"param_invalid\",\"message\":\"shared_dirs '/': must not be the root dir"));
        assertEquals(125, cli.run(with("--share", "/proc/self", "--", "/bin/true")));
        assertTrue(cli.err(), cli.err().startsWith("rocker: param_invalid: shared_dirs '/proc/self': must not be in /proc"));
        // relative to the current dir /work/dir: /opt/app/conf is inside the exec dir
        cli.cwd = java.nio.file.Path.of("/opt/app");
        assertEquals(125, cli.run(with("--share", "conf", "--", "/bin/true")));
        assertTrue(cli.err(), cli.err().startsWith("rocker: param_invalid: shared_dirs '/opt/app/conf': must not be app_exec_dir"));
        assertTrue(cli.local.requests.isEmpty());
    }

    @Test
    public void limitsReachTheRequest() throws UsageException {
        cli.expect(0, with("--memory", "64M", "--pids", "100", "--cpus", "0.5", "--cpu-weight=50", "--log-max", "1m", "--", "/bin/true"));
        RockerRequest r = cli.local.requests.get(0);
        assertEquals(64L << 20, r.memoryLimit());
        assertEquals(100, r.pidsLimit());
        assertEquals(0.5, r.cpus(), 0);
        assertEquals(50, r.cpuWeight());
        assertEquals(1L << 20, r.logLimit());
        // the defaults without them
        cli.expect(0, with("--", "/bin/true"));
        r = cli.local.requests.get(1);
        assertEquals(0, r.memoryLimit());
        assertEquals(RockerRequest.DEFAULT_PIDS_LIMIT, r.pidsLimit());
        assertEquals(0, r.cpus(), 0);
        assertEquals(0, r.cpuWeight());
        assertEquals(RockerRequest.DEFAULT_LOG_LIMIT, r.logLimit());
        // sizes: bytes, K, M, G, T (powers of 1024); 0 lifts the limit
        cli.expect(0, with("--memory", "1G", "--log-max", "4096", "--pids", "0", "--cpus", "2", "--", "/bin/true"));
        r = cli.local.requests.get(2);
        assertEquals(1L << 30, r.memoryLimit());
        assertEquals(4096, r.logLimit());
        assertEquals(0, r.pidsLimit());
        assertEquals(2, r.cpus(), 0);
        cli.expect(0, with("--memory", "5242880", "--log-max", "0", "--cpus", ".25", "--", "/bin/true"));
        r = cli.local.requests.get(3);
        assertEquals(5L << 20, r.memoryLimit());
        assertEquals(0, r.logLimit());
        assertEquals(0.25, r.cpus(), 0);
        cli.expect(0, with("--memory", "1t", "--log-max", "8k", "--", "/bin/true"));
        assertEquals(1L << 40, cli.local.requests.get(4).memoryLimit());
        assertEquals(8192, cli.local.requests.get(4).logLimit());
        assertEquals(1L << 20, RunOptions.size("--memory", "1M"));
        assertEquals(0, RunOptions.size("--memory", "0"));
    }

    @Test
    public void wrongLimitsNameTheOptionOrTheField() {
        assertUsage(with("--memory", "64MB", "--", "x"), "option --memory: '64MB' is not a size (bytes, or a number with K, M, G or T, e.g. 64M)");
        assertUsage(with("--memory", "-1", "--", "x"), "option --memory: '-1' is not a size");
        assertUsage(with("--memory", "1.5G", "--", "x"), "option --memory: '1.5G' is not a size");
        assertUsage(with("--memory", "99999999999T", "--", "x"), "option --memory: '99999999999T' is too large");
        assertUsage(with("--memory", "99999999999999999999", "--", "x"), "option --memory: '99999999999999999999' is too large");
        assertUsage(with("--log-max", "", "--", "x"), "option --log-max: '' is not a size");
        assertUsage(with("--pids", "-1", "--", "x"), "option --pids: '-1' is not a number from 0 to 2147483647");
        assertUsage(with("--cpu-weight", "x", "--", "x"), "option --cpu-weight: 'x' is not a number");
        assertUsage(with("--cpus", "NaN", "--", "x"), "option --cpus: 'NaN' is not a number of CPUs such as 0.5 or 2");
        assertUsage(with("--cpus", "-1", "--", "x"), "option --cpus: '-1' is not a number of CPUs");
        assertUsage(with("--cpus", "1e3", "--", "x"), "option --cpus: '1e3' is not a number of CPUs");
        assertUsage(with("--cpus"), "option --cpus needs a value");
        // in range is the request's rule
        assertEquals(125, cli.run(with("--memory", "1M", "--", "/bin/true")));
        assertTrue(cli.err(), cli.err().startsWith("rocker: param_invalid: memory '1048576': must be 0 (no limit) or at least 4194304 bytes (4 MiB)"));
        assertEquals(125, cli.run(with("--cpus", "0.001", "--", "/bin/true")));
        assertTrue(cli.err(), cli.err().startsWith("rocker: param_invalid: cpus '0.001': must be 0 (no quota) or between 0.01 and 4096"));
        assertEquals(125, cli.run(with("--cpu-weight", "10001", "--", "/bin/true")));
        assertTrue(cli.err(), cli.err().startsWith("rocker: param_invalid: cpu_weight '10001': must be 0 (the default) or between 1 and 10000"));
        assertEquals(125, cli.run(with("--json", "--log-max", "1K", "--", "/bin/true")));
        assertTrue(cli.out(), cli.out().startsWith("{\"err_no\":2,\"err\":\"param_invalid\",\"message\":\"log_limit '1024': must be 0 (unbounded) or at least 4096 bytes"));
        assertTrue(cli.local.requests.isEmpty());
    }

    @Test
    public void jsonIsOneObjectWithTheSeedFields() {
        assertEquals(0, cli.run(with("--json", "--", "/bin/true")));
        assertEquals("{\"err_no\":0,\"err\":\"success\",\"message\":\"started\",\"app_pid\":20001,"
                + "\"guard_pid\":10001,\"guard_name\":\"rocker-fake-1\"}\n", cli.out());
        assertEquals(Stdio.Kind.LOG, cli.local.apps.get(0).stdout().kind());
    }

    @Test
    public void aFailureIsJsonAndExit125() {
        assertEquals(125, cli.run(with("--json", "--overlay", "/proc", "--", "/bin/true")));
        assertTrue(cli.out(), cli.out().startsWith("{\"err_no\":2,\"err\":\"param_invalid\",\"message\":\"app_overlay_dirs '/proc'"));
        assertTrue(cli.err(), cli.err().startsWith("rocker: param_invalid: app_overlay_dirs '/proc'"));
    }

    @Test
    public void waitExitsWithTheAppsStatusAndStreamsItsOutput() {
        cli.local.exitStatus = 42;
        assertEquals(42, cli.run(with("--local", "--wait", "--", "/bin/app")));
        assertEquals("hello from the app\n", cli.out());
        assertEquals("a warning\n", cli.err());
        assertEquals(Stdio.Kind.STREAM, cli.local.apps.get(0).stdout().kind());
        assertTrue(cli.remoteSockets.isEmpty());
    }

    @Test
    public void localNeedsRoot() {
        cli.identity = new Identity(1000, 1000);
        assertEquals(125, cli.run(with("--local", "--", "/bin/true")));
        assertTrue(cli.err(), cli.err().startsWith("rocker: sys: --local needs root"));
        assertTrue(cli.local.requests.isEmpty());
    }

    @Test
    public void wrongCommandLinesNameTheOptionAndValue() {
        assertUsage(with("--uid", "abc", "--", "x"), "option --uid: 'abc' is not a number");
        assertUsage(with("--uid", "-3", "--", "x"), "option --uid: '-3' is not a number");
        assertUsage(with("--net", "bridge", "--", "x"), "option --net: 'bridge' is not host or none");
        assertUsage(with("--frobnicate", "--", "x"), "unknown option '--frobnicate'");
        assertUsage(with("--wait=yes", "--", "x"), "option --wait takes no value (got 'yes')");
        assertUsage(with("--local", "--socket", "/s", "--", "x"), "--socket and --local exclude each other");
        assertUsage(with("--"), "missing the command");
        assertUsage(new String[] {"run", "--exec-dir", "/a", "--data-dir", "/b", "--", "x"}, "missing --pkg FILE");
        assertUsage(with("--hostname"), "option --hostname needs a value");
        assertUsage(with("--device"), "option --device needs a value");
        assertUsage(with("--share"), "option --share needs a value");
        assertUsage(with("--share", "", "--", "x"), "option --share: the value is empty");
        assertUsage(with("--share", ":ro", "--", "x"), "option --share: ':ro' names no dir");
        assertTrue(cli.err(), cli.err().contains("See 'rocker run --help'."));
    }

    @Test
    public void helpIsThere() {
        assertEquals(0, cli.run("run", "--help"));
        assertTrue(cli.out(), cli.out().startsWith("Usage: rocker run"));
        assertTrue(cli.out(), cli.out().contains("[--device DEV]... [--share DIR[:ro]]..."));
        assertTrue(cli.out(), cli.out().contains("  --share DIR[:ro]  a host dir the app may use at the same path"));
        assertTrue(cli.out(), cli.out().contains("[--seccomp unconfined|FILE] [--memory SIZE] [--pids N] [--cpus N]\n"));
        assertTrue(cli.out(), cli.out().contains("[--cpu-weight N] [--log-max SIZE] [--rm]"));
        assertTrue(cli.out(), cli.out().contains("  --memory SIZE     the rocker's hard memory limit"));
        assertTrue(cli.out(), cli.out().contains("SIZE is bytes, or a number with K, M, G or T (powers of 1024)."));
        assertTrue(cli.out(), cli.out().contains("  --seccomp unconfined|FILE\n                    the app's system call filter"));
    }

    private void assertUsage(String[] args, String message) {
        assertEquals(125, cli.run(args));
        assertTrue(cli.err(), cli.err().startsWith("rocker: param_invalid: " + message));
    }
}
