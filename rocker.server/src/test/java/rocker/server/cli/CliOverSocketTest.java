package rocker.server.cli;

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
    public void noServerIsAClearFailure() {
        cli.realSocket = fixture.dir().resolve("absent.sock");
        assertEquals(125, cli.run("ls"));
        assertTrue(cli.err(), cli.err().startsWith("rocker: server_unaddr_invalid: cannot connect to"));
        assertTrue(cli.err(), cli.err().contains("is 'rocker serve' running?"));
    }
}
