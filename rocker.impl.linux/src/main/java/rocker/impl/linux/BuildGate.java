package rocker.impl.linux;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import rocker.api.RockerError;
import rocker.api.RockerException;

/**
 * Where a rocker's mount plan waits for its caller's bookkeeping (docs/engine.md, "The build, in
 * parallel"): on a spare the plan starts at once and does what mounts nothing (the data dir opened,
 * locked and prepared, the locks handed over) while the caller writes the rocker's {@code BUILDING}
 * record and leases its image; the plan's first mount comes after this gate, which opens once both are
 * done, so the record still comes before any mount and the lease after the record naming the image.
 * It opens with the lease (or none: a loop device of the rocker's own), or fails with the caller's failure.
 */
final class BuildGate {
    private final CompletableFuture<ImageHolders.Lease> leased = new CompletableFuture<>();

    /** The caller's record is written and its image leased ({@code lease} null: none). */
    void open(ImageHolders.Lease lease) {
        leased.complete(lease);
    }

    /** The caller failed before it could open the gate: the plan stops there. */
    void fail(Throwable why) {
        leased.completeExceptionally(why);
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
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return leased.get();
                } catch (InterruptedException e) {
                    interrupted = true; // the caller always opens or fails the gate
                }
            }
        } catch (ExecutionException e) {
            throw new RockerException(RockerError.BUILD_ROCKER_FAILED, "the build stopped before its first mount: " + e.getCause(), e.getCause());
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }
}
