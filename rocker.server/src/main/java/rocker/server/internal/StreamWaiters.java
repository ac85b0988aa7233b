package rocker.server.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The connection threads that wait for a streamed app to end ({@link StreamSession}). When the server
 * stops it wakes them at once (an interrupt ends the engine's wait for the app), so that a stop does not
 * wait for the next poll of every stream. A thread registers before it checks whether the server stops,
 * and the server sets its stop flag before it wakes them: no waiter is missed.
 */
final class StreamWaiters {
    private final Set<Thread> waiting = ConcurrentHashMap.newKeySet();

    void add(Thread t) {
        waiting.add(t);
    }

    void remove(Thread t) {
        waiting.remove(t);
    }

    /** Interrupts every waiting thread; called once the server's stop flag is set. */
    void wakeAll() {
        waiting.forEach(Thread::interrupt);
    }
}
