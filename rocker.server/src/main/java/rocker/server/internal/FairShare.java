package rocker.server.internal;

import java.util.HashMap;
import java.util.Map;

/**
 * A bounded number of slots (connections being served, or apps being streamed) shared fairly: a
 * privileged peer (root, trusted uids) may take any free slot; every other uid at most a quarter of
 * them, and never the last eighth, which is kept for privileged peers. So one user holding all it can
 * still leaves room for root and for other users.
 */
final class FairShare {
    private final String what;
    private final int total;
    private final int perUid;
    private final int keptForRoot;
    private final Map<Integer, Integer> byUid = new HashMap<>();
    private int used;

    /** {@code total} slots of {@code what} ("connections", "streams"). */
    FairShare(String what, int total) {
        this.what = what;
        this.total = total;
        this.perUid = Math.max(1, total / 4);
        this.keptForRoot = total >= 4 ? Math.max(1, total / 8) : 0;
    }

    /** Takes a slot; null when granted, else why not (for a "server busy: ..." answer). */
    synchronized String tryAcquire(int uid, boolean privileged) {
        if (used >= total) {
            return "all " + total + " " + what + " are in use, try again";
        }
        if (!privileged) {
            int mine = byUid.getOrDefault(uid, 0);
            if (mine >= perUid) {
                return "uid " + uid + " holds its share of " + what + " (" + perUid + " of " + total + "), try again";
            }
            if (used >= total - keptForRoot) {
                return "the last " + keptForRoot + " of " + total + " " + what + " are kept for root, try again";
            }
            byUid.put(uid, mine + 1);
        }
        used++;
        return null;
    }

    synchronized void release(int uid, boolean privileged) {
        used--;
        if (!privileged) {
            byUid.computeIfPresent(uid, (u, n) -> n > 1 ? n - 1 : null);
        }
    }

    synchronized int used() {
        return used;
    }
}
