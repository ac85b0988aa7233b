package rocker.cli;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import rocker.api.SharedDir;
import rocker.client.testing.Requests;

public class OtherCommandsTest {
    @Rule
    public final TemporaryFolder tmp = new TemporaryFolder();
    private final CliHarness cli = new CliHarness();

    private void twoRockers() {
        cli.local.adopt("rk-alpha", 300, Requests.valid(1, 1).appId(11).build(), CliHarness.NOW.minusSeconds(3725));
        cli.local.adopt("rk-beta", 301, Requests.valid(2, 2).appId(12).build(), CliHarness.NOW.minusSeconds(42));
    }

    @Test
    public void lsNumbersTheImagesRockersShare() {
        twoRockers();
        cli.local.adopt("rk-gamma", 302, Requests.valid(3, 3).appId(13).build(), CliHarness.NOW.minusSeconds(5));
        cli.local.images.put("rk-alpha", "2049:77:4096:1:2");
        cli.local.images.put("rk-beta", "2049:78:4096:1:2");
        cli.local.images.put("rk-gamma", "2049:77:4096:1:2");
        assertEquals(0, cli.run("ls"));
        String[] lines = cli.out().split("\n");
        assertTrue(lines[1], lines[1].matches("rk-alpha .* #1 +/tmp/app.squashfs"));
        assertTrue(lines[2], lines[2].matches("rk-beta .* #2 +/tmp/app.squashfs"));
        assertTrue("shares alpha's image: " + lines[3], lines[3].matches("rk-gamma .* #1 +/tmp/app.squashfs"));
        assertEquals(0, cli.run("ls", "--json"));
        assertTrue(cli.out(), cli.out().contains("\"pkg\":\"/tmp/app.squashfs\",\"image\":\"2049:77:4096:1:2\""));
    }

    @Test
    public void lsPrintsATableAndJson() {
        twoRockers();
        assertEquals(0, cli.run("ls"));
        String[] lines = cli.out().split("\n");
        assertEquals(3, lines.length);
        assertTrue(lines[0], lines[0].matches("NAME +GUARD_PID +APP_ID +UPTIME +MEMORY +PIDS +IMAGE +PACKAGE"));
        assertTrue(lines[1], lines[1].matches("rk-alpha +300 +11 +1h02m +- +- +- +/tmp/app.squashfs"));
        assertTrue(lines[2], lines[2].matches("rk-beta +301 +12 +42s +- +- +- +/tmp/app.squashfs"));

        assertEquals(0, cli.run("ls", "--local", "--json"));
        String json = cli.out().trim();
        assertTrue(json, json.startsWith("[{\"guard_name\":\"rk-alpha\",\"guard_pid\":300,\"app_pid\":301,\"app_id\":11,"));
        assertTrue(json, json.contains("\"uptime_s\":42,"));
        assertTrue(json, json.endsWith("}]"));
        assertEquals(0, cli.run("ls", "--json"));
        assertTrue(cli.run("ls", "--local", "--bogus") == 125 && cli.err().contains("unknown option '--bogus'"));
    }

    @Test
    public void stateDirGoesToTheInProcessEngineAndNeedsLocal() throws java.io.IOException {
        CliHarness cli = new CliHarness();
        cli.local.adopt("rk-alpha", 300, Requests.valid(1, 1).build(), CliHarness.NOW);
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory(java.nio.file.Path.of("/tmp"), "rocker-state-");
        String state = dir.toString(); // a dir that is there
        cli.expect(0, "ls", "--local", "--state-dir", state);
        cli.expect(0, "kill", "--state-dir", state, "--local", "rk-alpha");
        assertEquals(java.util.List.of(state, state), cli.localStateDirs);
        cli.expect(0, "ls", "--local");
        assertEquals(null, cli.localStateDirs.get(2));
        cli.expect(125, "ls", "--local", "--state-dir", "/srv/no-such-rocker-state");
        assertTrue(cli.err(), cli.err().startsWith("rocker: param_invalid: option --state-dir: '/srv/no-such-rocker-state' is no dir"));
        cli.expect(125, "run", "--local", "--state-dir", "/run/../run", "--pkg", "/tmp/a.squashfs", "--exec-dir", "/opt/a",
                "--data-dir", "/var/a", "--", "/opt/a/bin/app");
        assertTrue(cli.err(), cli.err().startsWith("rocker: param_invalid: option --state-dir: '/run/../run' is not an absolute path"
                + " below a top-level dir (e.g. /run/rocker)"));

        cli.expect(125, "ls", "--state-dir", "/srv/rocker-state");
        assertEquals("rocker: param_invalid: --state-dir needs --local (a server's state dir is its own: rocker serve --state-dir)\n"
                + "See 'rocker ls --help'.\n", cli.err());
        cli.expect(125, "run", "--socket", "/tmp/s", "--state-dir", "/srv/x", "--pkg", "/tmp/a.squashfs", "--exec-dir", "/opt/a",
                "--data-dir", "/var/a", "--", "/opt/a/bin/app");
        assertTrue(cli.err(), cli.err().startsWith("rocker: param_invalid: --state-dir needs --local"));
        cli.expect(125, "stats", "--local", "--state-dir", "srv/rocker-state", "rk-alpha");
        assertTrue(cli.err(), cli.err().startsWith("rocker: param_invalid: option --state-dir: 'srv/rocker-state' is not an absolute path"));
        cli.expect(125, "ls", "--local", "--state-dir", "/");
        assertTrue(cli.err(), cli.err().startsWith("rocker: param_invalid: option --state-dir: '/' is not an absolute path below"));
        assertEquals("no engine was asked for after a usage error", 3, cli.localStateDirs.size());
        assertTrue(cli.remoteSockets.isEmpty());
        java.nio.file.Files.delete(dir);
    }

    @Test
    public void lsJsonShowsDevicesAndSharedDirsWhenThereAreSome() {
        cli.local.adopt("rk-plain", 300, Requests.valid(1, 1).build(), CliHarness.NOW);
        cli.local.adopt("rk-usb", 301, Requests.valid(1, 1).devices(java.util.List.of("/dev/ttyUSB0", "/dev/ttyACM0"))
                .sharedDirs(java.util.List.of(SharedDir.readOnly("/srv/in"), SharedDir.readWrite("/srv/\"q"))).build(), CliHarness.NOW);
        assertEquals(0, cli.run("ls", "--json"));
        String[] rockers = cli.out().trim().split("\\},\\{\"guard_name\"");
        assertEquals(2, rockers.length);
        assertTrue(rockers[0], rockers[0].endsWith("\"data_dir\":\"/var/lib/rocker/app\""));
        assertTrue(rockers[1], rockers[1].endsWith("\"data_dir\":\"/var/lib/rocker/app\",\"devices\":[\"/dev/ttyUSB0\",\"/dev/ttyACM0\"],"
                + "\"shared_dirs\":[{\"path\":\"/srv/in\",\"read_only\":true},{\"path\":\"/srv/\\\"q\",\"read_only\":false}]}]"));
        assertEquals(0, cli.run("ls", "--help"));
        assertTrue(cli.out(), cli.out().contains("devices, shared_dirs and\n                    seccomp when"));
    }

    @Test
    public void lsShowsMemoryAndPidsWhenKnown() {
        twoRockers();
        cli.local.stats.put("rk-alpha", new rocker.api.RockerStats(52_428_800, 67_108_864, 12, 1_500_000_000L, 0));
        cli.local.stats.put("rk-beta", new rocker.api.RockerStats(-1, -1, 3, -1, -1));
        assertEquals(0, cli.run("ls"));
        String[] lines = cli.out().split("\n");
        assertEquals("rk-alpha               300       11     1h02m    50.0MiB     12      -  /tmp/app.squashfs", lines[1]);
        assertEquals("rk-beta                301       12       42s          -      3      -  /tmp/app.squashfs", lines[2]);
        assertEquals(0, cli.run("ls", "--json"));
        String[] rockers = cli.out().trim().split("\\},\\{\"guard_name\"");
        assertTrue(rockers[0], rockers[0].endsWith("\"data_dir\":\"/var/lib/rocker/app\",\"stats\":{\"memory\":52428800,"
                + "\"memory_peak\":67108864,\"pids\":12,\"cpu_ns\":1500000000,\"oom_kills\":0}"));
        assertTrue(rockers[1], rockers[1].endsWith("\"stats\":{\"memory\":-1,\"memory_peak\":-1,\"pids\":3,\"cpu_ns\":-1,\"oom_kills\":-1}}]"));
        assertEquals(0, cli.run("ls", "--help"));
        assertTrue(cli.out(), cli.out().contains("memory in use and processes"));
    }

    @Test
    public void lsJsonShowsLimitsOtherThanTheDefaults() {
        cli.local.adopt("rk-plain", 300, Requests.valid(1, 1).build(), CliHarness.NOW);
        cli.local.adopt("rk-tight", 301, Requests.valid(1, 1).memoryLimit(64L << 20).pidsLimit(100).cpus(0.5).cpuWeight(50)
                .logLimit(0).build(), CliHarness.NOW);
        assertEquals(0, cli.run("ls", "--json"));
        String[] rockers = cli.out().trim().split("\\},\\{\"guard_name\"");
        assertTrue(rockers[0], rockers[0].endsWith("\"data_dir\":\"/var/lib/rocker/app\""));
        assertTrue(rockers[1], rockers[1].endsWith("\"data_dir\":\"/var/lib/rocker/app\",\"memory_limit\":67108864,\"pids_limit\":100,"
                + "\"cpus\":0.5,\"cpu_weight\":50,\"log_limit\":0}]"));
    }

    @Test
    public void statsPrintsTheFigures() {
        twoRockers();
        cli.local.stats.put("rk-alpha", new rocker.api.RockerStats(52_428_800, 1_610_612_736L, 12, 1_500_000_000L, 2));
        cli.local.stats.put("rk-beta", new rocker.api.RockerStats(512, -1, 1, 42_000_000L, -1));
        assertEquals(0, cli.run("stats", "rk-alpha"));
        assertEquals("rk-alpha\n  memory     50.0MiB (peak 1.5GiB)\n  pids       12\n  cpu time   1.500s\n  oom kills  2\n", cli.out());
        assertEquals(0, cli.run("stats", "--local", "rk-beta"));
        assertEquals("rk-beta\n  memory     512B (peak -)\n  pids       1\n  cpu time   0.042s\n  oom kills  -\n", cli.out());
        assertEquals(0, cli.run("stats", "--json", "rk-alpha"));
        assertEquals("{\"guard_name\":\"rk-alpha\",\"memory\":52428800,\"memory_peak\":1610612736,\"pids\":12,"
                + "\"cpu_ns\":1500000000,\"oom_kills\":2}\n", cli.out());
        // no such rocker, or nothing can tell: 1
        cli.local.stats.remove("rk-beta");
        assertEquals(1, cli.run("stats", "rk-beta"));
        assertEquals("rocker: no figures for rk-beta: no such rocker, or the server cannot tell\n", cli.err());
        assertEquals(1, cli.run("stats", "--json", "nope"));
        assertEquals("", cli.out());
        assertEquals(125, cli.run("stats"));
        assertTrue(cli.err(), cli.err().startsWith("rocker: param_invalid: missing NAME"));
        assertEquals(125, cli.run("stats", "a", "b"));
        assertTrue(cli.err(), cli.err().startsWith("rocker: param_invalid: expected one NAME, got 'a' and 'b'"));
        assertEquals(125, cli.run("stats", "--bogus", "a"));
        assertTrue(cli.err(), cli.err().contains("unknown option '--bogus'") && cli.err().contains("See 'rocker stats --help'."));
        assertEquals(0, cli.run("stats", "--help"));
        assertTrue(cli.out(), cli.out().startsWith("Usage: rocker stats [--socket PATH | --local] [--json] NAME"));
        assertEquals(0, cli.run("--help"));
        assertTrue(cli.out(), cli.out().contains("  stats      show what a rocker uses now"));
    }

    @Test
    public void figuresAreShort() {
        assertEquals("-", Figures.bytes(-1));
        assertEquals("0B", Figures.bytes(0));
        assertEquals("1023B", Figures.bytes(1023));
        assertEquals("1.0KiB", Figures.bytes(1024));
        assertEquals("12.5KiB", Figures.bytes(12_800));
        assertEquals("1023.9KiB", Figures.bytes(1_048_524));
        assertEquals("1.0MiB", Figures.bytes(1_048_575));
        assertEquals("8.0EiB", Figures.bytes(Long.MAX_VALUE));
        assertEquals("0.000s", Figures.seconds(0));
        assertEquals("3723.004s", Figures.seconds(3_723_004_500_000L));
        assertEquals("-", Figures.seconds(-1));
        assertEquals("-", Figures.count(-1));
    }

    @Test
    public void lsJsonShowsSeccompWhenItIsSet() {
        cli.local.adopt("rk-plain", 300, Requests.valid(1, 1).build(), CliHarness.NOW);
        cli.local.adopt("rk-free", 301, Requests.valid(1, 1).seccomp("unconfined").build(), CliHarness.NOW);
        cli.local.adopt("rk-prof", 302, Requests.valid(1, 1).addDevice("/dev/ttyUSB0").seccomp("/etc/rocker/\"q.json").build(), CliHarness.NOW);
        assertEquals(0, cli.run("ls", "--json"));
        String[] rockers = cli.out().trim().split("\\},\\{\"guard_name\"");
        // the fake engine lists by name: rk-free, rk-plain, rk-prof
        assertEquals(3, rockers.length);
        assertTrue(rockers[0], rockers[0].contains("\"rk-free\"")
                && rockers[0].endsWith("\"data_dir\":\"/var/lib/rocker/app\",\"seccomp\":\"unconfined\""));
        assertTrue(rockers[1], rockers[1].contains("\"rk-plain\"") && rockers[1].endsWith("\"data_dir\":\"/var/lib/rocker/app\""));
        assertTrue(rockers[2], rockers[2].contains("\"rk-prof\"")
                && rockers[2].endsWith("\"devices\":[\"/dev/ttyUSB0\"],\"seccomp\":\"/etc/rocker/\\\"q.json\"}]"));
    }

    @Test
    public void uptimeIsShort() {
        assertEquals("0s", ListCommand.uptime(Duration.ZERO));
        assertEquals("5m03s", ListCommand.uptime(Duration.ofSeconds(303)));
        assertEquals("3d04h", ListCommand.uptime(Duration.ofHours(76)));
    }

    @Test
    public void killByNameOrPid() {
        twoRockers();
        int lists = cli.local.lists.get();
        assertEquals(0, cli.run("kill", "rk-alpha"));
        assertEquals("rk-alpha\n", cli.out());
        assertEquals("kill NAME is one call: no list", lists, cli.local.lists.get());
        assertEquals(0, cli.run("kill", "--local", "301"));
        assertEquals("rk-beta\n", cli.out());
        assertTrue(cli.local.list().isEmpty());
        assertEquals(1, cli.run("kill", "rk-alpha"));
        assertEquals("rocker: no such rocker: rk-alpha\n", cli.err());
        assertEquals(1, cli.run("kill", "999"));
        assertEquals("rocker: no such rocker: guard pid 999\n", cli.err());
        assertEquals(125, cli.run("kill"));
        assertTrue(cli.err(), cli.err().startsWith("rocker: param_invalid: missing NAME or PID"));
        assertEquals(125, cli.run("kill", "a", "b"));
    }

    @Test
    public void guardnameParsesUpToTheLastParen() throws IOException {
        Path proc = tmp.newFolder("proc").toPath();
        Files.createDirectories(proc.resolve("77"));
        Files.writeString(proc.resolve("77/stat"), "77 (a) b (c)) S 1 77 77 0 -1 4194560 0 0 0 0\n");
        cli.proc = proc;
        assertEquals(0, cli.run("guardname", "77"));
        assertEquals("a) b (c)\n", cli.out());
        assertEquals(125, cli.run("guardname", "78"));
        assertTrue(cli.err(), cli.err().startsWith("rocker: get_guardname_failed: no process 78"));
        assertEquals(125, cli.run("guardname", "x1"));
        assertTrue(cli.err(), cli.err().startsWith("rocker: param_invalid: PID 'x1' is not a positive number"));
    }

    @Test
    public void guardnameReadsTheRealProc() {
        assertEquals(0, cli.run("guardname", Long.toString(ProcessHandle.current().pid())));
        assertTrue(cli.out(), cli.out().trim().length() > 0 && cli.out().trim().length() <= 15);
    }

    @Test
    public void packSaysWhatIsMissing() throws IOException {
        cli.squashfs = new Squashfs(name -> Optional.empty());
        Path dir = tmp.newFolder("app").toPath();
        assertEquals(125, cli.run("pack", dir.toString(), tmp.getRoot() + "/app.squashfs"));
        assertTrue(cli.err(), cli.err().startsWith("rocker: sys: mksquashfs not found: install squashfs-tools"));
        assertEquals(125, cli.run("pack", tmp.getRoot() + "/nope", tmp.getRoot() + "/x.squashfs"));
        assertTrue(cli.err(), cli.err().contains("is not a directory"));
    }

    @Test
    public void packMakesASquashfsImage() throws IOException {
        assumeTrue("mksquashfs is installed", Files.isExecutable(Path.of("/usr/bin/mksquashfs")));
        Path dir = tmp.newFolder("app").toPath();
        Files.writeString(dir.resolve("hello.txt"), "hi");
        Path image = tmp.getRoot().toPath().resolve("app.squashfs");
        cli.expect(0, "pack", dir.toString(), image.toString());
        byte[] head = Files.readAllBytes(image);
        assertEquals("hsqs", new String(head, 0, 4, java.nio.charset.StandardCharsets.US_ASCII));
    }

    @Test
    public void serveHandsItsOptionsOver() {
        assertEquals(RockerCli.KEEP_RUNNING, cli.run("serve", "--socket", "/tmp/r.sock", "--state-dir=/tmp/st"));
        assertEquals(new ServeOptions("/tmp/r.sock", "/tmp/st"), cli.lastServed().get());
        assertEquals(0, cli.run("serve", "--help"));
        assertTrue(cli.out().startsWith("Usage: rocker serve"));
        assertEquals(125, cli.run("serve", "--port", "8"));
        assertTrue(cli.err(), cli.err().startsWith("rocker: param_invalid: unknown option '--port'"));
        assertEquals("/tmp/st/rocker.sock", new ServeOptions(null, "/tmp/st/").socketOr("/run/rocker/rocker.sock"));
        assertEquals(RockerCli.KEEP_RUNNING, cli.run("serve", "--image-grace", "0"));
        assertEquals(new ServeOptions(null, null, 0), cli.lastServed().get());
        for (String bad : new String[] {"-1", "soon", ""}) {
            assertEquals(125, cli.run("serve", "--image-grace", bad));
            assertTrue(cli.err(), cli.err().startsWith("rocker: param_invalid: option --image-grace '" + bad
                    + "': must be a number of seconds from 0 to 2147483647"));
        }
    }

    @Test
    public void everySubcommandHasHelpAndUnknownOnesAreNamed() {
        for (String c : new String[] {"serve", "run", "ls", "kill", "guardname", "pack"}) {
            assertEquals(c, 0, cli.run(c, "--help"));
            assertTrue(c + ": " + cli.out(), cli.out().startsWith("Usage: rocker " + c));
        }
        assertEquals(0, cli.run("--help"));
        assertEquals(125, cli.run("frob"));
        assertTrue(cli.err(), cli.err().startsWith("rocker: param_invalid: unknown command 'frob'"));
        assertEquals(125, cli.run());
    }

    @Test
    public void serveOptionsGoOnTopOfTheConfiguredSocket() {
        assertEquals("/c.sock", ServeOptions.none().socketOr("/c.sock"));
        assertEquals(null, ServeOptions.none().socketOr(null));
        assertEquals("/s", new ServeOptions("/s", "/d").socketOr("/c.sock"));
        assertEquals("/d/rocker.sock", new ServeOptions(null, "/d/").socketOr("/c.sock"));
    }
}
