package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.Test;

import rocker.impl.linux.sys.Posix;

/**
 * The exit watcher with real sockets standing in for guards' control sockets: guards are registered by the
 * threads that start them while the watcher waits, and a descriptor number the watcher closed may be the
 * next guard's at once.
 */
public class ExitWatcherTest {
    private static final int GUARDS = 64;

    /** What a guard says when its app ended with exit code {@code code} (as rocker-guard.c's say("W", status, 0)). */
    private static byte[] waited(int code) {
        return ("W\0" + (code << 8) + "\0" + 0 + "\0").getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    public void guardsAddedFromManyThreadsAreAllToldEvenWhenTheirNumbersAreReused() throws Exception {
        List<String> gone = java.util.Collections.synchronizedList(new ArrayList<>());
        ExecutorService starters = Executors.newFixedThreadPool(4);
        try (ExitWatcher watcher = new ExitWatcher(gone::add)) {
            Set<Integer> numbersBefore = new HashSet<>();
            for (int round = 0; round < 3; round++) {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<int[]>> started = new ArrayList<>();
                for (int i = 0; i < GUARDS; i++) {
                    String name = "r" + round + "-" + i;
                    started.add(starters.submit(() -> {
                        int[] pair = Posix.seqpacketPair();
                        go.await();
                        watcher.watch(name, pair[0], -1);
                        return pair;
                    }));
                }
                go.countDown();
                List<int[]> pairs = new ArrayList<>();
                for (Future<int[]> f : started) pairs.add(f.get(10, TimeUnit.SECONDS));
                Set<Integer> numbers = new HashSet<>();
                for (int i = 0; i < GUARDS; i++) {
                    numbers.add(pairs.get(i)[0]);
                    Posix.send(pairs.get(i)[1], waited(i % 100));
                    Posix.close(pairs.get(i)[1]); // the guard ends
                }
                for (int i = 0; i < GUARDS; i++) {
                    ExitWatcher.Watched w = watcher.find("r" + round + "-" + i).orElseThrow();
                    assertEquals("guard " + i + " of round " + round, Integer.valueOf(i % 100), w.appExit.get(10, TimeUnit.SECONDS));
                    w.gone.get(10, TimeUnit.SECONDS);
                }
                if (round > 0) {
                    numbers.retainAll(numbersBefore);
                    assertTrue("the watcher's closed numbers were given to new guards", !numbers.isEmpty());
                }
                numbersBefore.addAll(numbers);
            }
            assertEquals(3 * GUARDS, gone.size());
        } finally {
            starters.shutdownNow();
        }
    }

    @Test
    public void aGuardAddedAfterTheWatcherClosedIsForgottenAndItsSocketClosed() throws Exception {
        ExitWatcher watcher = new ExitWatcher();
        watcher.close();
        int[] pair = Posix.seqpacketPair();
        try {
            ExitWatcher.Watched w = watcher.watch("late", pair[0], -1);
            try {
                w.appExit.get(1, TimeUnit.SECONDS);
                throw new AssertionError("told an exit after close");
            } catch (java.util.concurrent.ExecutionException e) {
                assertTrue(e.getCause().getMessage(), e.getCause().getMessage().contains("stopped watching rocker late"));
            }
            // the watcher closed its end: the guard's end sees the hang-up
            assertTrue(Posix.awaitReadable(pair[1], 1000));
            assertEquals(null, Posix.receive(pair[1], 16));
        } finally {
            Posix.close(pair[1]);
        }
    }

    /** The periodic task runs however busy the watcher is: a guard that talks all the time does not hold it off. */
    @Test
    public void itsPeriodicTaskRunsWhileGuardsKeepItBusy() throws Exception {
        CountDownLatch ticks = new CountDownLatch(3);
        try (ExitWatcher watcher = new ExitWatcher(name -> { }, (name, code, signal) -> { }, ticks::countDown, 100)) {
            int[] chatty = Posix.seqpacketPair();
            try {
                watcher.watch("chatty", chatty[0], -1);
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (ticks.getCount() > 0 && System.nanoTime() < end) {
                    Posix.send(chatty[1], "x".getBytes(StandardCharsets.US_ASCII)); // an event every 20 ms, shorter than the tick
                    Thread.sleep(20);
                }
                assertEquals("three ticks of 100 ms within 10 s, with an event every 20 ms", 0, ticks.getCount());
            } finally {
                Posix.close(chatty[1]);
            }
        }
    }

    /**
     * An expected guard is found (a CREATED listener's wait subscribes to it) but not watched: what it says
     * waits until it is armed. One whose rocker was not built is forgotten without its socket being closed
     * (the build's to close), and its waiters are told.
     */
    @Test
    public void anExpectedGuardIsFoundAtOnceToldOnceArmedAndForgottenWithItsSocketLeftAlone() throws Exception {
        try (ExitWatcher watcher = new ExitWatcher()) {
            int[] built = Posix.seqpacketPair();
            ExitWatcher.Watched w = watcher.expect("built", built[0], -1);
            assertEquals(w, watcher.find("built").orElseThrow());
            Posix.send(built[1], waited(4));
            Thread.sleep(50);
            assertTrue("nothing read before it is armed", !w.appExit.isDone());
            watcher.arm(w);
            assertEquals(Integer.valueOf(4), w.appExit.get(10, TimeUnit.SECONDS));
            Posix.close(built[1]);
            w.gone.get(10, TimeUnit.SECONDS);

            int[] failed = Posix.seqpacketPair();
            try {
                ExitWatcher.Watched f = watcher.expect("failed", failed[0], -1);
                watcher.unexpect(f);
                assertTrue(watcher.find("failed").isEmpty());
                try {
                    f.appExit.get(1, TimeUnit.SECONDS);
                    throw new AssertionError("told an exit of a rocker that was not built");
                } catch (java.util.concurrent.ExecutionException e) {
                    assertTrue(e.getCause().getMessage(), e.getCause().getMessage().contains("rocker failed was not built"));
                }
                // its socket is still open (the build closes it): the other end sees no hang-up
                assertTrue(!Posix.awaitReadable(failed[1], 100));
            } finally {
                Posix.close(failed[0]);
                Posix.close(failed[1]);
            }
        }
    }
}
