package rocker.impl.linux;

import rocker.impl.linux.sys.Stat;

/**
 * What identifies an image's content for sharing one mount of it (docs/engine.md, "Shared image
 * mounts"): the opened file's device, inode, size, mtime and ctime. A replaced file has another inode;
 * an in-place rewrite keeps device, inode and size, and its writer can set mtime back, but not ctime.
 */
record ImageKey(long dev, long ino, long size, long mtimeSeconds, int mtimeNanos, long ctimeSeconds, int ctimeNanos) {

    static ImageKey of(Stat s) {
        return new ImageKey(s.dev, s.ino, s.size, s.mtimeSeconds, s.mtimeNanos, s.ctimeSeconds, s.ctimeNanos);
    }

    /**
     * The key as records keep it: "2/dev:ino:size:mtime.ns:ctime.ns". "2/": its holder's loop device reads a file
     * that only root can change (the image, or its copy: ImageSource); a holder made by an engine from before
     * that (key "dev:ino:...") may read a file its user can rewrite, and is never leased again (it is released
     * once its last rocker is gone).
     */
    @Override
    public String toString() {
        return "2/" + dev + ":" + ino + ":" + size + ":" + mtimeSeconds + "." + mtimeNanos + ":" + ctimeSeconds + "." + ctimeNanos;
    }
}
