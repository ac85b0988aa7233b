package rocker.impl.linux;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import rocker.api.RockerError;
import rocker.api.RockerException;

/**
 * Where a rocker's mount plan waits for its caller's bookkeeping (docs/engine.md, "The build, in
 * parallel"): on a spare the plan starts at once and does what mounts nothing (the data dir opened,
 * locked and prepared, the locks handed over) while the caller writes the rocker's {@code BUILDING}
 * record and then leases its image. Two gates: the plan's first mount waits for the record
 * ({@link #awaitRecord}), so the record still comes before any mount; the image's mount (and the choice
 * of the rocker's /dev, which depends on it) waits for the lease ({@link #lease}), so that the overlays,
 * the private dirs and the exec dir are mounted while a new image's holder mounts it. The lease opens
 * with its image (or none: a loop device of the rocker's own), or both gates fail with the caller's
 * failure.
 */
final class BuildGate {
    private final CompletableFuture<Void> recorded = new CompletableFuture<>();
    private final CompletableFuture<ImageHolders.Lease> leased = new CompletableFuture<>();

    /** The caller's record is written (its image not leased yet). */
    void recorded() {
        recorded.complete(null);
    }

    /** The caller's record is written and its image leased ({@code lease} null: none). */
    void open(ImageHolders.Lease lease) {
        recorded.complete(null);
        leased.complete(lease);
    }

    /** The caller failed before it could open the gates: the plan stops at the next one. */
    void fail(Throwable why) {
        recorded.completeExceptionally(why);
        leased.completeExceptionally(why);
    }

    /** Returns once the rocker's record is written (on the mount thread: waits until then). */
    void awaitRecord() {
        await(recorded);
    }

    /** An open gate with {@code lease} (the caller did its part before the plan). */
    static BuildGate opened(ImageHolders.Lease lease) {
        BuildGate g = new BuildGate();
        g.open(lease);
        return g;
    }

    /** The lease if the gate is open now, else null (never waits: for descriptions). */
    ImageHolders.Lease peek() {
        return leased.isDone() && !leased.isCompletedExceptionally() ? leased.getNow(null) : null;
    }

    /** The image's lease, once the gate is open (on the mount thread: waits until then). */
    ImageHolders.Lease lease() {
        return await(leased);
    }

    private static <T> T await(CompletableFuture<T> gate) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return gate.get();
                } catch (InterruptedException e) {
                    interrupted = true; // the caller always opens or fails the gate
                }
            }
        } catch (ExecutionException e) {
            throw new RockerException(RockerError.BUILD_ROCKER_FAILED, "the build stopped at its gate: " + e.getCause(), e.getCause());
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }
}
