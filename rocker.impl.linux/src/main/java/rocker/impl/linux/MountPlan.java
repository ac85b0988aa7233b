package rocker.impl.linux;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import rocker.api.RockerCaller;
import rocker.api.RockerRequest;

/**
 * The ordered steps of a rocker's mount namespace (the keeper already made the tree private; the guard
 * mounts the rocker's own /proc only when it starts the app, so until then {@code /proc/self/fd} names
 * the engine's descriptors): open the data dir with the caller's credentials, lock it (a lock its guard
 * then holds: {@link DataDirLock}), create and open its
 * dirs, an overlay on each overlay dir with those opened dirs as layers, then open the exec dir (created
 * through the overlays, so it lands in the data dir when it lies under one) and mount the image on it,
 * and last put the server's files out of reach ({@link ServerFiles}: its dirs hidden, the guard
 * read-only). Overlays come first because an overlay on a parent of the exec dir would hide the image;
 * the server's files come last so that they are hidden under an overlay dir too.
 */
final class MountPlan implements AutoCloseable {
    private final List<MountOp> ops;
    private final ExecDir execDir;
    private final HostPaths host;
    private final ReadOnlyHost readOnly;

    private MountPlan(List<MountOp> ops, ExecDir execDir, HostPaths host, ReadOnlyHost readOnly) {
        this.ops = Collections.unmodifiableList(ops);
        this.execDir = execDir;
        this.host = host;
        this.readOnly = readOnly;
    }

    /** The host dirs every rocker gets a private copy of (in its data dir), unless it overlays them. */
    static final List<String> PRIVATE_DIRS = List.of("/tmp", "/run");
    /** Kernel information masked under /sys, as the OCI runtime spec's defaults do. */
    static final List<String> MASKED_SYS = List.of("/sys/firmware", "/sys/devices/virtual/powercap");

    /**
     * {@code lock}: locks the opened data dir right after it is opened, and its layers once they are made.
     * {@code gate}: where the plan waits for the rocker's record, before its first mount, and for its
     * image's lease, before the image's mount ({@link BuildGate}). {@code spare}: what the guard's namespace got ahead of need (a spare's: its
     * mounts noted, its /dev and masks built), or null. A plan that needs the host's /dev (the request's
     * devices are opened there, a loop device of the rocker's own too) drops the spare's at the gate and
     * builds its own.
     */
    static MountPlan of(RockerRequest request, RockerCaller caller, DataDir data, DataDirLock lock, ImageSource image,
            BuildGate gate, List<MountOp> serverFiles, SpareMounts spare) {
        List<String> privateDirs = new ArrayList<>(PRIVATE_DIRS);
        privateDirs.removeAll(request.overlayDirs());
        HostPaths host = new HostPaths(request, caller);
        ReadOnlyHost readOnly = new ReadOnlyHost(spare == null ? null : spare.hostMounts);
        // the spare's /dev serves a request with no devices whose image is leased (else the host's /dev is needed)
        boolean devBuilt = spare != null && spare.devBuilt;
        boolean[] devAhead = {false};
        List<MountOp> ops = new ArrayList<>();
        ops.add(readOnly.snapshot());
        ops.add(MountOp.of("open the data dir " + data.path(), () -> {
            data.open();
            readOnly.requireHostMount(data.rootFd(), "app_data_dir", data.path());
        }));
        ops.add(lock.dataDirStep());
        ops.add(MountOp.of("prepare the data dir " + data.path(), () -> data.prepare(request.overlayDirs(), privateDirs)));
        ops.add(lock.layersStep());
        // nothing above mounts or unmounts: the rocker's record is written meanwhile (BuildGate)
        ops.add(MountOp.of("wait for the rocker's record", () -> {
            gate.awaitRecord();
            // its devices are opened in the host's /dev (the next step)
            if (devBuilt && !request.devices().isEmpty()) DevDir.dropAhead().apply();
        }));
        ops.add(host.step());
        ops.add(MountOp.of("check that the shared dirs are the host's", () -> {
            for (HostPaths.Opened share : host.shares()) {
                readOnly.requireHostMount(share.fd, "shared_dirs", share.path);
            }
        }));
        for (String dir : request.overlayDirs()) {
            ops.add(new OverlayMount(dir, data, readOnly));
        }
        for (String dir : privateDirs) {
            ops.add(new PrivateDir(dir, data, readOnly));
        }
        String exec = request.execDir();
        ExecDir execDir = new ExecDir(exec, covered(exec, request), caller.isEngine());
        ops.add(execDir);
        // nothing above touches /dev (no overlay, exec dir or shared dir lies in it): a new image's holder
        // mounts it meanwhile
        ops.add(MountOp.of("wait for the image's lease", () -> {
            devAhead[0] = devBuilt && request.devices().isEmpty() && gate.lease() != null;
            if (devBuilt && request.devices().isEmpty() && !devAhead[0]) DevDir.dropAhead().apply();
        }));
        ops.add(new ImageMount(image, request.pkgPath(), execDir, gate)); // without a lease: the host's /dev/loop*
        MountOp ahead = DevDir.builtAhead(readOnly);
        MountOp fresh = new DevDir(host, readOnly);
        ops.add(new MountOp() {
            @Override
            public String describe() {
                return (devAhead[0] ? ahead : fresh).describe();
            }

            @Override
            public void apply() {
                (devAhead[0] ? ahead : fresh).apply();
            }
        });
        ops.add(MountOp.of("share the shared dirs", () -> {
            for (HostPaths.Opened share : host.shares()) {
                new ShareMount(share, new ExecDir("shared_dirs", share.path, covered(share.path, request), caller.isEngine()), readOnly).apply();
            }
        }));
        if (spare == null) ops.addAll(SpareMounts.masks());
        ops.addAll(serverFiles);
        ops.add(readOnly);
        return new MountPlan(ops, execDir, host, readOnly);
    }

    /** Whether a new dir at {@code path} would land in the data dir: under an overlay, or a private /tmp or /run. */
    private static boolean covered(String path, RockerRequest request) {
        String top = path.indexOf('/', 1) < 0 ? path : path.substring(0, path.indexOf('/', 1));
        return request.overlayDirs().contains(top) || PRIVATE_DIRS.contains(top);
    }

    List<MountOp> ops() {
        return ops;
    }

    /** Releases what the steps opened (the data dir's descriptors are the {@link DataDir}'s). */
    @Override
    public void close() {
        execDir.close();
        host.close();
        readOnly.close(); // what a failed plan registered before its last step
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
