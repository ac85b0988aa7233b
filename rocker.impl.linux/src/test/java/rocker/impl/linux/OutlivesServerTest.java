package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.Rule;
import org.junit.Test;

import rocker.api.RockerApp;
import rocker.api.RockerError;
import rocker.api.RockerResult;
import rocker.testsupport.Images;
import rocker.testsupport.KernelView;

/**
 * A rocker outlives its server however the server stops: keeper and guard are in a session of their
 * own (not the engine's process group, which a terminal's Ctrl-C or a hang-up reaches), and the signals
 * a terminal or a service manager sends a group do not end them. The app keeps the default dispositions.
 */
public class OutlivesServerTest {
    @Rule
    public final EngineFixture fx = new EngineFixture();

    /** Field {@code n} (1-based, after the command) of /proc/PID/stat. */
    private static long statField(int pid, int n) throws Exception {
        String s = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[n - 3]);
    }

    @Test
    public void keeperAndGuardLiveInTheirOwnSessionAndIgnoreAGroupsSignals() throws Exception {
        Path image = Images.build(fx.work, "s", Map.of("marker", "x\n"));
        RockerResult r = fx.engine.enterRocker(fx.request(image, "s").uid(1000).gid(1000).build(), RockerApp.of("/bin/sleep", "1000"));
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        int self = (int) ProcessHandle.current().pid();
        int keeper = (int) ProcessHandle.of(r.guardPid()).flatMap(ProcessHandle::parent).orElseThrow().pid();
        long ourSession = statField(self, 6);
        long ourGroup = statField(self, 5);
        for (int pid : new int[] {keeper, r.guardPid()}) {
            assertNotEquals("not in the engine's session: " + pid, ourSession, statField(pid, 6));
            assertNotEquals("not in the engine's process group: " + pid, ourGroup, statField(pid, 5));
            long ignored = Long.parseLong(KernelView.status(pid, "SigIgn").trim(), 16);
            for (int sig : new int[] {1, 2, 3, 13, 15, 20}) { // HUP INT QUIT PIPE TERM TSTP
                assertTrue("signal " + sig + " ignored by " + pid, (ignored & (1L << (sig - 1))) != 0);
            }
        }
        // what a terminal or a service manager would send: the rocker does not end
        for (String sig : new String[] {"-INT", "-HUP", "-TERM"}) {
            for (int pid : new int[] {keeper, r.guardPid()}) {
                assertEquals(0, new ProcessBuilder("kill", sig, Integer.toString(pid)).start().waitFor());
            }
        }
        Thread.sleep(200);
        assertTrue("the guard lives", KernelView.alive(r.guardPid()));
        assertTrue("the keeper lives", KernelView.alive(keeper));
        assertTrue("the app lives", KernelView.alive(r.appPid()));
        long appIgnored = Long.parseLong(KernelView.status(r.appPid(), "SigIgn").trim(), 16);
        for (int sig : new int[] {1, 2, 3, 13, 15, 20}) {
            assertEquals("the app has the default disposition of signal " + sig, 0, appIgnored & (1L << (sig - 1)));
        }
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
    }
}
