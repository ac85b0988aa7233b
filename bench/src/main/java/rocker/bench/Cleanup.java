package rocker.bench;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Everything the bench creates registers how to undo it here, newest first: rockers, servers,
 * PostgreSQL processes, the work dir. {@link #runAll()} runs in a finally block and, should the JVM be
 * stopped (Ctrl-C, SIGTERM), from a shutdown hook; it runs every action once, whatever fails.
 */
final class Cleanup {
    interface Action {
        void run() throws Exception;
    }

    private final Deque<String> names = new ArrayDeque<>();
    private final Deque<Action> actions = new ArrayDeque<>();
    private final List<String> failures = new ArrayList<>();
    private Thread hook;

    synchronized void add(String name, Action action) {
        names.push(name);
        actions.push(action);
    }

    /** Runs and forgets the newest action named {@code name}, if any (a section that cleans up by itself). */
    void runNow(String name) {
        Action a = null;
        synchronized (this) {
            java.util.Iterator<String> n = names.iterator();
            java.util.Iterator<Action> it = actions.iterator();
            while (n.hasNext()) {
                String s = n.next();
                Action x = it.next();
                if (s.equals(name)) {
                    n.remove();
                    it.remove();
                    a = x;
                    break;
                }
            }
        }
        if (a != null) run(name, a);
    }

    void installHook() {
        hook = new Thread(this::runAll, "rocker-bench-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Runs every action left, newest first. */
    void runAll() {
        while (true) {
            String name;
            Action a;
            synchronized (this) {
                if (actions.isEmpty()) break;
                name = names.pop();
                a = actions.pop();
            }
            run(name, a);
        }
        if (hook != null && Thread.currentThread() != hook) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // already shutting down
            }
            hook = null;
        }
    }

    private void run(String name, Action a) {
        try {
            a.run();
        } catch (Exception | Error e) {
            synchronized (this) {
                failures.add(name + ": " + e);
            }
            System.err.println("bench: cleanup '" + name + "' failed: " + e);
        }
    }

    synchronized List<String> failures() {
        return new ArrayList<>(failures);
    }
}
