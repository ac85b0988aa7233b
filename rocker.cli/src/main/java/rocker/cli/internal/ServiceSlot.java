package rocker.cli.internal;

import java.time.Duration;

/** Holds one dynamically bound service and lets a thread wait for it to arrive. */
final class ServiceSlot<T> {
    private T service;

    synchronized void set(T s) {
        service = s;
        notifyAll();
    }

    synchronized void clear(T s) {
        if (service == s) {
            service = null;
        }
    }

    /** The service, waiting up to {@code timeout} for one; null when none came. */
    synchronized T await(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (service == null) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return service;
    }
}
