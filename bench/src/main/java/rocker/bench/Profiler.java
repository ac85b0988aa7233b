package rocker.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A cheap sampling profile of where one thread's start time goes inside the engine: every interval the
 * thread's stack is sampled and charged to the engine step it is in (the callee of the innermost
 * {@code RockerEngine} frame, e.g. {@code GuardProcess.start}, {@code MountInterpreter.run}) and to the
 * step's own callee inside the engine (e.g. {@code GuardProcess.start > Posix.receive}: waiting for the
 * keeper/guard). Samples outside the engine count as "bench". Run on a separate pass, never during
 * the measured starts.
 */
final class Profiler implements AutoCloseable {
    private static final String ENGINE = "rocker.impl.linux.RockerEngine";
    private final Thread target;
    private final Map<String, Integer> steps = new HashMap<>();
    private final Map<String, Integer> subSteps = new HashMap<>();
    private final Map<String, Integer> mountThread = new HashMap<>();
    private final Thread sampler;
    private volatile boolean running = true;
    private volatile boolean paused;
    private int total;

    Profiler(Thread target, long intervalMicros) {
        this.target = target;
        this.sampler = new Thread(() -> {
            Thread[] all = new Thread[256];
            while (running) {
                if (paused) {
                    sleepQuietly(intervalMicros);
                    continue;
                }
                sample(target.getStackTrace());
                // the engine's short-lived mount thread (rocker-mount-NAME): where the mount plan's time goes
                int n = Thread.enumerate(all);
                for (int i = 0; i < n; i++) {
                    if (all[i].getName().startsWith("rocker-mount-")) sampleMount(all[i].getStackTrace());
                    all[i] = null;
                }
                if (!sleepQuietly(intervalMicros)) return;
            }
        }, "bench-profiler");
        sampler.setDaemon(true);
        sampler.start();
    }

    /** While paused (e.g. during a destroy), nothing is sampled. */
    void pause(boolean p) {
        paused = p;
    }

    private static boolean sleepQuietly(long micros) {
        try {
            Thread.sleep(micros / 1000, (int) (micros % 1000) * 1000);
            return true;
        } catch (InterruptedException e) {
            return false;
        }
    }

    private synchronized void sample(StackTraceElement[] st) {
        if (st.length == 0) return;
        total++;
        int engine = -1;
        for (int i = 0; i < st.length; i++) {
            if (st[i].getClassName().equals(ENGINE)) {
                engine = i;
                break;
            }
        }
        if (engine < 0) {
            steps.merge("bench (outside the engine)", 1, Integer::sum);
            return;
        }
        String step;
        int stepIndex = engine - 1;
        if (stepIndex < 0) {
            step = "RockerEngine." + st[engine].getMethodName() + " (own code)";
        } else if (st[engine].getMethodName().equals("waitForApp")) {
            step = "RockerEngine.waitForApp (app runs, exit reported)";
        } else {
            step = name(st[stepIndex]);
        }
        steps.merge(step, 1, Integer::sum);
        // the innermost engine frame below the step, one level down
        if (stepIndex > 0) {
            for (int i = stepIndex - 1; i >= 0; i--) {
                if (st[i].getClassName().startsWith("rocker.impl.linux") && !name(st[i]).equals(step)) {
                    subSteps.merge(step + " > " + name(st[i]), 1, Integer::sum);
                    break;
                }
            }
        }
    }

    private synchronized void sampleMount(StackTraceElement[] st) {
        String op = null;
        String call = null;
        for (StackTraceElement e : st) {
            String c = e.getClassName();
            if (call == null && c.startsWith("rocker.impl.linux.sys.")) call = name(e);
            if (c.startsWith("rocker.impl.linux.") && !c.startsWith("rocker.impl.linux.sys.")) {
                op = name(e);
                break;
            }
        }
        if (op == null) op = st.length == 0 ? "(starting or ending)" : "(thread start/end: " + name(st[0]) + ")";
        mountThread.merge(op + (call != null ? " > " + call : ""), 1, Integer::sum);
    }

    private static String name(StackTraceElement e) {
        String c = e.getClassName();
        return c.substring(c.lastIndexOf('.') + 1) + "." + e.getMethodName();
    }

    /** Share of samples per step, largest first, with an estimate in ms given the mean start time. */
    synchronized Map<String, Object> report(double meanStartMs) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("samples", total);
        out.put("steps_ms", top(steps, meanStartMs, 12));
        out.put("substeps_ms", top(subSteps, meanStartMs, 12));
        out.put("mount_thread_ms", top(mountThread, meanStartMs, 12));
        return out;
    }

    private Map<String, Double> top(Map<String, Integer> m, double meanMs, int limit) {
        List<Map.Entry<String, Integer>> es = new ArrayList<>(m.entrySet());
        es.sort((a, b) -> b.getValue() - a.getValue());
        Map<String, Double> out = new LinkedHashMap<>();
        for (Map.Entry<String, Integer> e : es.subList(0, Math.min(limit, es.size()))) {
            out.put(e.getKey(), Math.round(100.0 * meanMs * e.getValue() / Math.max(1, total)) / 100.0);
        }
        return out;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        sampler.interrupt();
        sampler.join(2000);
    }
}
