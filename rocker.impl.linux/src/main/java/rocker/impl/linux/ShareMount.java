package rocker.impl.linux;

/**
 * A host dir shared on purpose ({@code --share DIR[:ro]}), bound at the same path inside the rocker
 * (nosuid, nodev; read-only when asked). The source was opened with the caller's credentials
 * ({@link HostPaths}); the target is opened with no symlink followed, and created when missing like the
 * exec dir ({@link ExecDir}).
 */
final class ShareMount implements MountOp {
    private final HostPaths.Opened share;
    private final ExecDir target;
    private final ReadOnlyHost readOnly;

    ShareMount(HostPaths.Opened share, ExecDir target, ReadOnlyHost readOnly) {
        this.share = share;
        this.target = target;
        this.readOnly = readOnly;
    }

    @Override
    public String describe() {
        return "share " + share.path + (share.readOnly ? " read-only" : "");
    }

    @Override
    public void apply() {
        target.apply();
        try {
            if (share.readOnly) {
                BindMount.bind(share.fd, target.fd(), share.path, true);
            } else {
                readOnly.keepWritable(BindMount.bindAndOpen(share.fd, target.fd(), share.path, false), "the shared dir " + share.path);
            }
        } finally {
            target.close();
        }
    }
}
