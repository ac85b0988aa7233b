package rocker.impl.linux;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import rocker.api.RockerRequest;

/**
 * The ordered mounts of a rocker (the guard already made the tree private and mounted /proc):
 * first an overlay on each overlay dir (the one holding the data dir last), then the exec dir (created through the overlays, so it
 * lands in the data dir when it lies under one), then the image on it. Overlays come first because
 * an overlay on a parent of the exec dir would hide the image.
 */
final class MountPlan {
    private final List<MountOp> ops;

    private MountPlan(List<MountOp> ops) {
        this.ops = Collections.unmodifiableList(ops);
    }

    static MountPlan of(RockerRequest request, DataDir data, int imageFd) {
        List<MountOp> ops = new ArrayList<>();
        // the overlay dir that holds the data dir goes last: the other overlays' upper and work dirs
        // must be looked up on the host's dir, not through that overlay (ELOOP: overlapping layers)
        String holder = null;
        for (String dir : request.overlayDirs()) {
            if (request.dataDir().startsWith(dir + "/")) {
                holder = dir;
                continue;
            }
            ops.add(new OverlayMount(dir, data.upper(dir), data.work(dir)));
        }
        if (holder != null) {
            ops.add(new OverlayMount(holder, data.upper(holder), data.work(holder)));
        }
        ops.add(new MakeDirs(request.execDir()));
        ops.add(new ImageMount(imageFd, request.pkgPath(), request.execDir()));
        return new MountPlan(ops);
    }

    List<MountOp> ops() {
        return ops;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (MountOp op : ops) {
            b.append(b.length() == 0 ? "" : "; ").append(op.describe());
        }
        return b.toString();
    }
}
