package rocker.impl.linux;

import rocker.impl.linux.sys.Posix;

/**
 * The squashfs image on a read-only, auto-clearing loop device, mounted read-only, nosuid, nodev
 * on the opened exec dir. Once mounted the loop device lives exactly as long as the mount: when the
 * rocker's mount namespace goes, the kernel detaches it.
 */
final class ImageMount implements MountOp {
    private final int imageFd;
    private final String imagePath;
    private final ExecDir target;

    ImageMount(int imageFd, String imagePath, ExecDir target) {
        this.imageFd = imageFd;
        this.imagePath = imagePath;
        this.target = target;
    }

    @Override
    public String describe() {
        return "mount the image " + imagePath + " on the exec dir";
    }

    @Override
    public void apply() {
        try (LoopDevice loop = LoopDevice.attach(imageFd, imagePath)) {
            Posix.mount(loop.path(), target.target(), "squashfs", Posix.MS_RDONLY | Posix.MS_NOSUID | Posix.MS_NODEV, null);
        } finally {
            target.close();
        }
    }
}
