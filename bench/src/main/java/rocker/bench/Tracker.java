package rocker.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import rocker.api.RockerClient;
import rocker.api.RockerResult;

/**
 * The rockers one client made and has not destroyed yet (guard name -> guard pid). Only these are ever
 * destroyed by the bench: other people's rockers on the same machine are left alone.
 */
final class Tracker {
    private final String label;
    private final RockerClient client;
    private final Map<String, Integer> live = new ConcurrentHashMap<>();
    private final Map<String, Integer> everMade = new ConcurrentHashMap<>();

    Tracker(String label, RockerClient client) {
        this.label = label;
        this.client = client;
    }

    void made(String name, int guardPid) {
        live.put(name, guardPid);
        everMade.put(name, guardPid);
    }

    void destroyed(String name) {
        live.remove(name);
    }

    int liveCount() {
        return live.size();
    }

    /** Destroys every rocker still recorded: through the client, else SIGKILL to a guard that still carries its name. */
    void destroyAll() {
        for (Map.Entry<String, Integer> e : new ArrayList<>(live.entrySet())) {
            String name = e.getKey();
            try {
                RockerResult r = client.destroy(name);
                if (r.isSuccess()) {
                    live.remove(name);
                    continue;
                }
            } catch (RuntimeException ex) {
                // the client is gone (e.g. the server died): kill below
            }
            killGuard(name, e.getValue());
            live.remove(name);
        }
    }

    /** Guards made by this client that are still alive (pid still named as the guard). */
    List<String> survivors() {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Integer> e : everMade.entrySet()) {
            if (Kernel.comm(e.getValue()).map(e.getKey()::equals).orElse(false)) {
                out.add(label + " rocker " + e.getKey() + " (guard pid " + e.getValue() + ")");
            }
        }
        return out;
    }

    /** Kills every surviving guard (its pid namespace, mounts and loop device go with it). */
    void killSurvivors() {
        for (Map.Entry<String, Integer> e : everMade.entrySet()) {
            killGuard(e.getKey(), e.getValue());
        }
    }

    private static void killGuard(String name, int pid) {
        ProcessHandle.of(pid).ifPresent(h -> {
            if (Kernel.comm(pid).map(name::equals).orElse(false)) {
                h.destroyForcibly();
            }
        });
    }
}
