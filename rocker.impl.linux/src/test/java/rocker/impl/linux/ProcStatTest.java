package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.concurrent.TimeUnit;

import org.junit.Test;

/** ProcStat's kill: only the process that started at the recorded time is signalled (a reused pid never is). */
public class ProcStatTest {
    @Test
    public void killIfStillSignalsOnlyTheProcessThatStartedThen() throws Exception {
        Process p = new ProcessBuilder("sleep", "60").start();
        try {
            int pid = (int) p.pid();
            long start = ProcStat.live(pid).orElseThrow().startTime;
            assertFalse("another start time: another process, not signalled", ProcStat.killIfStill(pid, start + 1, "a test's sleep"));
            assertTrue(p.isAlive());
            assertTrue(ProcStat.killIfStill(pid, start, "a test's sleep"));
            assertTrue(p.waitFor(5, TimeUnit.SECONDS));
            assertEquals("SIGKILL", 128 + 9, p.exitValue());
            assertFalse("gone: nothing to signal", ProcStat.killIfStill(pid, start, "a test's sleep"));
        } finally {
            p.destroyForcibly();
        }
    }
}
