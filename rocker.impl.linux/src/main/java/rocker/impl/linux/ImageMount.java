package rocker.impl.linux;

import rocker.impl.linux.sys.Posix;

/**
 * The squashfs image on the opened exec dir: a clone of the image's one shared mount when there is a
 * {@link ImageHolders.Lease}, else (the fallback) on a read-only, auto-clearing loop device of the
 * rocker's own, mounted read-only, nosuid, nodev. Either way the rocker's mount is its own reference:
 * a loop device of its own lives exactly as long as the mount (when the rocker's mount namespace goes,
 * the kernel detaches it), a shared one as long as any mount of its superblock.
 */
final class ImageMount implements MountOp {
    private final ImageSource image;
    private final String imagePath;
    private final ExecDir target;
    /** The image's lease comes through the gate (open by the time this step runs). */
    private final BuildGate gate;

    ImageMount(ImageSource image, String imagePath, ExecDir target, BuildGate gate) {
        this.image = image;
        this.imagePath = imagePath;
        this.target = target;
        this.gate = gate;
    }

    @Override
    public String describe() {
        ImageHolders.Lease shared = gate.peek();
        return "mount the image " + imagePath + " on the exec dir" + (shared == null ? "" : " (shared, holder " + shared.holder + ")");
    }

    @Override
    public void apply() {
        ImageHolders.Lease shared = gate.lease();
        try {
            if (shared != null) {
                shared.attach(target.fd());
                return;
            }
            // the image, or its copy (made by the caller before it opened the gate without a lease)
            try (LoopDevice loop = LoopDevice.attach(image.loopFd(), imagePath)) {
                Posix.mount(loop.path(), target.target(), "squashfs", Posix.MS_RDONLY | Posix.MS_NOSUID | Posix.MS_NODEV, null);
            }
        } finally {
            target.close();
        }
    }
}
