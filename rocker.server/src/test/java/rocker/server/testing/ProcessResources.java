package rocker.server.testing;

import java.io.File;
import java.util.function.IntSupplier;

/** Counts this JVM's open file descriptors and live threads, to catch leaks. */
public final class ProcessResources {
    private ProcessResources() {
    }

    public static int openFds() {
        String[] fds = new File("/proc/self/fd").list();
        return fds == null ? -1 : fds.length;
    }

    public static int threadsNamed(String prefix) {
        return (int) Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith(prefix)).count();
    }

    /**
     * Polls until {@code value} is at most {@code bound}, for up to 30 s (no timing is asserted: a
     * fast machine just returns sooner); returns the last value seen.
     */
    public static int settle(IntSupplier value, int bound) throws InterruptedException {
        long end = System.nanoTime() + 30_000_000_000L;
        int v = value.getAsInt();
        while (v > bound && System.nanoTime() < end) {
            Thread.sleep(50);
            v = value.getAsInt();
        }
        return v;
    }
}
