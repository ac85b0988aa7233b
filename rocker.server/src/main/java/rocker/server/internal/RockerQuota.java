package rocker.server.internal;

import java.util.HashMap;
import java.util.Map;

/**
 * Live rockers per unprivileged uid ({@code max.rockers.per.uid}) and the processes they may hold
 * together ({@code max.pids.per.uid}: the sum of their process limits, so many rockers cannot add up
 * to the host's pid_max): the rockers the engine lists for the uid plus those being built for it now.
 * Counted and reserved under one lock, so concurrent requests of one uid cannot pass the quota together.
 */
final class RockerQuota {
    /** What a uid holds: its live rockers and the sum of their process limits. */
    record Held(int rockers, long pids) { }

    private final int max;
    private final long maxPids;
    private final Map<Integer, Integer> building = new HashMap<>();
    private final Map<Integer, Long> buildingPids = new HashMap<>();

    RockerQuota(int max, long maxPids) {
        this.max = max;
        this.maxPids = maxPids;
    }

    /** Reserves a rocker of {@code pids} processes for {@code uid}; null when granted, else the "quota: ..." message. */
    synchronized String tryReserve(int uid, int pids, java.util.function.Supplier<Held> live) {
        Held now = live.get();
        int inFlight = building.getOrDefault(uid, 0);
        long inFlightPids = buildingPids.getOrDefault(uid, 0L);
        if (now.rockers() + inFlight >= max) {
            return "quota: uid " + uid + " has " + now.rockers() + " live rockers" + (inFlight > 0 ? " and " + inFlight + " being built" : "")
                    + ", at most " + max + " (max.rockers.per.uid): destroy one first";
        }
        if (now.pids() + inFlightPids + pids > maxPids) {
            return "quota: uid " + uid + "'s rockers may hold " + (now.pids() + inFlightPids) + " processes, " + pids
                    + " more would pass " + maxPids + " (max.pids.per.uid): ask for fewer (--pids) or destroy one";
        }
        building.put(uid, inFlight + 1);
        buildingPids.put(uid, inFlightPids + pids);
        return null;
    }

    synchronized void release(int uid, int pids) {
        building.computeIfPresent(uid, (u, n) -> n > 1 ? n - 1 : null);
        buildingPids.computeIfPresent(uid, (u, n) -> n - pids > 0 ? n - pids : null);
    }
}
