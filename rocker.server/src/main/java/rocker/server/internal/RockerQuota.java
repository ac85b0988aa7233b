package rocker.server.internal;

import java.util.HashMap;
import java.util.Map;
import java.util.function.IntSupplier;

/**
 * Live rockers per unprivileged uid ({@code max.rockers.per.uid}): the rockers the engine lists for the
 * uid plus those being built for it now. Counted and reserved under one lock, so concurrent requests
 * of one uid cannot pass the quota together.
 */
final class RockerQuota {
    private final int max;
    private final Map<Integer, Integer> building = new HashMap<>();

    RockerQuota(int max) {
        this.max = max;
    }

    /** Reserves a rocker for {@code uid}; null when granted, else the "quota: ..." message. */
    synchronized String tryReserve(int uid, IntSupplier live) {
        int now = live.getAsInt();
        int inFlight = building.getOrDefault(uid, 0);
        if (now + inFlight >= max) {
            return "quota: uid " + uid + " has " + now + " live rockers" + (inFlight > 0 ? " and " + inFlight + " being built" : "")
                    + ", at most " + max + " (max.rockers.per.uid): destroy one first";
        }
        building.put(uid, inFlight + 1);
        return null;
    }

    synchronized void release(int uid) {
        building.computeIfPresent(uid, (u, n) -> n > 1 ? n - 1 : null);
    }
}
