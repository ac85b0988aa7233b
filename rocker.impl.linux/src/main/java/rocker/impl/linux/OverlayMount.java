package rocker.impl.linux;

import rocker.impl.linux.sys.Posix;

/** An overlayfs on {@code dir} itself: lower = the host's dir, upper and work dirs in the data dir. */
final class OverlayMount implements MountOp {
    private final String dir;
    private final String upper;
    private final String work;

    OverlayMount(String dir, String upper, String work) {
        this.dir = dir;
        this.upper = upper;
        this.work = work;
    }

    @Override
    public String describe() {
        return "mount an overlay on " + dir + " (upper dir " + upper + ")";
    }

    @Override
    public void apply() {
        // lowerdir is resolved before the new mount covers dir, so it is the host's dir
        Posix.mount("overlay", dir, "overlay", 0, "lowerdir=" + dir + ",upperdir=" + upper + ",workdir=" + work);
    }
}
