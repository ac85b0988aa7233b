package rocker.impl.linux;

import java.util.ArrayList;
import java.util.List;

/**
 * What a spare's mount namespace has ahead of need (docs/engine.md, "Spare guards"): the ids of its
 * mounts, noted before anything of the rocker's was mounted there (its tree is private, so nothing comes
 * or goes after), and the mounts no request changes, built then: the rocker's /dev ({@link DevDir}) and
 * the masks of /sys ({@link HideDir}). Neither depends on the request: /dev and /sys cannot be overlaid
 * and no exec, data or shared dir may lie in them; the request's devices, the one thing of it in /dev,
 * are added by a plan that drops the spare's /dev and builds its own.
 */
final class SpareMounts {
    /** The namespace's mounts before the rocker's (the host's copies). */
    final ReadOnlyHost.Noted hostMounts;
    /** Whether its /dev was built (only where a request can use it: with a shared image, see {@link MountPlan}). */
    final boolean devBuilt;

    private SpareMounts(ReadOnlyHost.Noted hostMounts, boolean devBuilt) {
        this.hostMounts = hostMounts;
        this.devBuilt = devBuilt;
    }

    /**
     * Notes the spare's mounts and builds its /dev ({@code dev}) and masks, on one mount worker in the
     * spare's namespace (pinned, and checked to be the spare guard's: its pid could be another's by now).
     */
    static SpareMounts build(MountInterpreter mounts, GuardProcess spare, boolean dev) {
        List<ReadOnlyHost.Noted> noted = new ArrayList<>();
        List<MountOp> ops = new ArrayList<>();
        ops.add(MountOp.of("note the spare's mounts", () -> noted.add(ReadOnlyHost.noteHere())));
        if (dev) ops.add(DevDir.ahead());
        ops.addAll(masks());
        mounts.run(spare.recordName, spare.guardPid, spare.guardStart, ops);
        return new SpareMounts(noted.get(0), dev);
    }

    /** The masks of /sys, the OCI runtime spec's defaults. */
    static List<MountOp> masks() {
        List<MountOp> ops = new ArrayList<>();
        for (String masked : MountPlan.MASKED_SYS) {
            ops.add(new HideDir(masked));
        }
        return ops;
    }
}
