package rocker.server.internal;

import java.util.Map;

/**
 * Live rockers per unprivileged uid ({@code max.rockers.per.uid}) and the processes they may hold
 * together ({@code max.pids.per.uid}: the sum of their process limits, so many rockers cannot add up
 * to the host's pid_max): the rockers the engine lists for the uid plus those being built for it now.
 * Counted and reserved under the uid's lock, so concurrent requests of one uid cannot pass the quota
 * together; requests of other uids do not wait for that count (it reads the registry's records and checks
 * that uid's rockers for life: {@code RockerClient.listOfUid}, docs/performance.md "Seventh round").
 */
final class RockerQuota {
    /** What a uid holds: its live rockers and the sum of their process limits. */
    record Held(int rockers, long pids) { }

    /** What a uid has being built now (guarded by the uid's {@link #lock}). */
    private static final class Building {
        int rockers;
        long pids;
    }

    private final int max;
    private final long maxPids;
    /** One per uid that ever asked: its lock and what it has being built. */
    private final Map<Integer, Building> building = new java.util.concurrent.ConcurrentHashMap<>();

    RockerQuota(int max, long maxPids) {
        this.max = max;
        this.maxPids = maxPids;
    }

    private Building lock(int uid) {
        return building.computeIfAbsent(uid, u -> new Building());
    }

    /** Reserves a rocker of {@code pids} processes for {@code uid}; null when granted, else the "quota: ..." message. */
    String tryReserve(int uid, int pids, java.util.function.Supplier<Held> live) {
        Building b = lock(uid);
        synchronized (b) {
            Held now = live.get();
            int inFlight = b.rockers;
            long inFlightPids = b.pids;
            if (now.rockers() + inFlight >= max) {
                return "quota: uid " + uid + " has " + now.rockers() + " live rockers" + (inFlight > 0 ? " and " + inFlight + " being built" : "")
                        + ", at most " + max + " (max.rockers.per.uid): destroy one first";
            }
            if (now.pids() + inFlightPids + pids > maxPids) {
                return "quota: uid " + uid + "'s rockers may hold " + (now.pids() + inFlightPids) + " processes, " + pids
                        + " more would pass " + maxPids + " (max.pids.per.uid): ask for fewer (--pids) or destroy one";
            }
            b.rockers = inFlight + 1;
            b.pids = inFlightPids + pids;
            return null;
        }
    }

    void release(int uid, int pids) {
        Building b = lock(uid);
        synchronized (b) {
            b.rockers = Math.max(0, b.rockers - 1);
            b.pids = Math.max(0, b.pids - pids);
        }
    }
}
