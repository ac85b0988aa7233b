package rocker.impl.linux;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import rocker.api.RockerCaller;
import rocker.api.RockerRequest;

/**
 * The ordered steps of a rocker's mount namespace (the keeper already made the tree private; the guard
 * mounts the rocker's own /proc only when it starts the app, so until then {@code /proc/self/fd} names
 * the engine's descriptors): open the data dir with the caller's credentials, create and open its
 * dirs, an overlay on each overlay dir with those opened dirs as layers, then open the exec dir (created
 * through the overlays, so it lands in the data dir when it lies under one) and mount the image on it,
 * and last put the server's files out of reach ({@link ServerFiles}: its dirs hidden, the guard
 * read-only). Overlays come first because an overlay on a parent of the exec dir would hide the image;
 * the server's files come last so that they are hidden under an overlay dir too.
 */
final class MountPlan implements AutoCloseable {
    private final List<MountOp> ops;
    private final ExecDir execDir;

    private MountPlan(List<MountOp> ops, ExecDir execDir) {
        this.ops = Collections.unmodifiableList(ops);
        this.execDir = execDir;
    }

    static MountPlan of(RockerRequest request, RockerCaller caller, DataDir data, int imageFd, List<MountOp> serverFiles) {
        List<MountOp> ops = new ArrayList<>();
        ops.add(MountOp.of("open the data dir " + data.path(), data::open));
        ops.add(MountOp.of("prepare the data dir " + data.path(), () -> data.prepare(request.overlayDirs())));
        for (String dir : request.overlayDirs()) {
            ops.add(new OverlayMount(dir, data));
        }
        String exec = request.execDir();
        String top = exec.indexOf('/', 1) < 0 ? exec : exec.substring(0, exec.indexOf('/', 1));
        ExecDir execDir = new ExecDir(exec, request.overlayDirs().contains(top), caller.isEngine());
        ops.add(execDir);
        ops.add(new ImageMount(imageFd, request.pkgPath(), execDir));
        ops.addAll(serverFiles);
        return new MountPlan(ops, execDir);
    }

    List<MountOp> ops() {
        return ops;
    }

    /** Releases what the steps opened (the data dir's descriptors are the {@link DataDir}'s). */
    @Override
    public void close() {
        execDir.close();
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
