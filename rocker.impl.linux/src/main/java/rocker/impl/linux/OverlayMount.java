package rocker.impl.linux;

import rocker.impl.linux.sys.Fd;
import rocker.impl.linux.sys.Posix;

/**
 * An overlayfs on {@code dir} itself: lower = the host's dir, upper and work dirs in the data dir,
 * given as the descriptors {@link DataDir} opened ({@code /proc/self/fd/N}), so that nothing a client
 * renames or links in its data dir can change which dirs they are.
 */
final class OverlayMount implements MountOp {
    private final String dir;
    private final DataDir data;
    private final ReadOnlyHost readOnly;

    OverlayMount(String dir, DataDir data, ReadOnlyHost readOnly) {
        this.dir = dir;
        this.data = data;
        this.readOnly = readOnly;
    }

    @Override
    public String describe() {
        return "mount an overlay on " + dir + " (upper dir " + data.path() + "/upper" + dir + ")";
    }

    @Override
    public void apply() {
        // lowerdir is resolved before the new mount covers dir, so it is the host's dir
        Posix.mount("overlay", dir, "overlay", Posix.MS_NOSUID | Posix.MS_NODEV, "lowerdir=" + dir + ",upperdir=" + data.upperOption(dir)
                + ",workdir=" + data.workOption(dir));
        // a top-level dir of the host's root (root's: no symlink can be planted there), now the overlay's root
        readOnly.keepWritable(Posix.open(dir, Fd.O_PATH | Fd.O_DIRECTORY | Fd.O_NOFOLLOW, 0), "the overlay on " + dir);
    }
}
