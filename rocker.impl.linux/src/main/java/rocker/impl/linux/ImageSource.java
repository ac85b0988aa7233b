package rocker.impl.linux;

import java.util.Set;

import rocker.api.RockerCaller;
import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.impl.linux.sys.Credentials;
import rocker.impl.linux.sys.Errno;
import rocker.impl.linux.sys.FileCopy;
import rocker.impl.linux.sys.Fd;
import rocker.impl.linux.sys.Posix;
import rocker.impl.linux.sys.Stat;
import rocker.impl.linux.sys.SysException;

/**
 * The app's image as the engine opened it ({@link ImageFile}) and the file that backs a loop device of it
 * (docs/security.md, "Images only root can change"). A loop device reads its file for as long as it is
 * mounted, and squashfs reads its tables and blocks when they are first needed: whoever can change the
 * file while it is mounted has the kernel parse, as root, data that changed after the mount checked it.
 * So the opened file itself backs a loop device only when nobody but root can change it: owned by root, not
 * writable by its group or others (with an access control list the group bits are its mask, which bounds every
 * named user and group), open for writing by nobody, on a local file system whose owners and modes the
 * kernel enforces, on a mount without nosuid and nodev (every mount a user can make has both: udisks, fstab's
 * {@code user}, FUSE; a user's own loop-mounted file system image has root-owned files the user can rewrite from
 * outside), not on a loop or network block device. Any other image is first copied ({@link #copy}) into a file of the copy dir
 * ({@code imageCopyDir}) that has no name, which nobody can open and which goes with the last loop device on
 * it; a copy of a user's image is the user's (its blocks count against the user) and is written with no
 * capability, so it cannot use root's reserved blocks.
 */
final class ImageSource implements AutoCloseable {
    /** Block devices whose content a file or a process behind them supplies: loop, nbd. */
    private static final long LOOP_MAJOR = 7;
    private static final long NBD_MAJOR = 43;

    /** File systems whose files only change through their owners and modes (and ACLs) on this host. */
    private static final Set<Long> LOCAL = Set.of(
            0xEF53L, // ext2, ext3, ext4
            0x58465342L, // xfs
            0x9123683EL, // btrfs
            0xF2F52010L, // f2fs
            0x01021994L, // tmpfs
            0x858458F6L, // ramfs
            0x73717368L, // squashfs (read-only)
            0xE0F5E1E2L, // erofs (read-only)
            0x794C7630L, // overlayfs (only root mounts one on the host; its layers are root's choice)
            0x72B6L, // jffs2
            0x24051905L, // ubifs
            0x2FC12FC1L, // zfs
            0xCA451A4EL); // bcachefs

    /** What a refusal to copy tells the client to do instead. */
    static final String ADVICE = "install it owned by root and writable by root only, on a local file system mounted"
            + " without nosuid and nodev, not on a loop or network block device";

    final int fd;
    final String path;
    final ImageKey key;
    private final RockerCaller caller;
    /** Why a copy backs a loop device of the image; null: the opened file itself does. */
    final String copyReason;
    private int copy = -1;

    private ImageSource(int fd, String path, ImageKey key, RockerCaller caller, String copyReason) {
        this.fd = fd;
        this.path = path;
        this.key = key;
        this.caller = caller;
        this.copyReason = copyReason;
    }

    /** The image at {@code path}, opened and checked with the caller's credentials; closed with {@link #close}. */
    static ImageSource open(String path, RockerCaller caller) {
        int fd = ImageFile.open(path, caller);
        try {
            Stat s = Fd.stat(fd, path);
            return new ImageSource(fd, path, ImageKey.of(s), caller, whyCopied(fd, s, path));
        } catch (RuntimeException e) {
            Posix.close(fd);
            throw e;
        }
    }

    /** Why the open image must be copied before a loop device reads it, or null when only root can change it. */
    static String whyCopied(int fd, Stat s, String path) {
        if (s.uid != 0) return "it is owned by uid " + s.uid;
        if ((s.mode & 020) != 0) return "it is writable by group " + s.gid;
        if ((s.mode & 02) != 0) return "it is writable by every user";
        FileCopy.FileSystem fs = FileCopy.fileSystem(fd, path);
        if (!LOCAL.contains(fs.type())) {
            return "it is on a file system (type 0x" + Long.toHexString(fs.type()) + ") whose files may change beyond their owners and modes";
        }
        // every mount a user can make in this namespace has both (udisks, fstab's "user", FUSE): a user's own file
        // system image, partitioned, encrypted (dm), btrfs, whatever its device, in which root-owned files are the
        // user's to rewrite from outside
        if ((fs.flags() & (FileCopy.ST_NOSUID | FileCopy.ST_NODEV)) != 0) return "it is on a mount with nosuid or nodev, as a user's mounts are";
        long major = s.dev >>> 32;
        if (major == LOOP_MAJOR || major == NBD_MAJOR) {
            // a file system on a loop device (one root mounted: a user's would have nosuid and nodev), whose backing file may
            // be a user's
            return "it is on a file system on a " + (major == LOOP_MAJOR ? "loop" : "network block") + " device (" + major + ":"
                    + (s.dev & 0xffffffffL) + "), whose backing file may be someone else's";
        }
        int writers = FileCopy.writers(fd, path); // an ACL gives write to nobody else: with named entries the group bits are its mask
        if (writers == Errno.EAGAIN || writers == Errno.EBUSY) return "it is open for writing";
        if (writers != 0) return "who has it open for writing cannot be told (F_SETLEASE: " + Errno.describe(writers) + ")";
        return null;
    }

    boolean copied() {
        return copyReason != null;
    }

    /** Whether a copy backs loop devices of it and is still to be made. */
    synchronized boolean needsCopy() {
        return copyReason != null && copy < 0;
    }

    /** The descriptor a loop device of the image is bound to: the image itself, or its copy (made before, by {@link #copy}). */
    synchronized int loopFd() {
        if (copyReason == null) return fd;
        if (copy < 0) throw new IllegalStateException("app_pkg_path '" + path + "' is to be copied before a loop device reads it");
        return copy;
    }

    /**
     * Makes the copy when the image needs one and has none yet: on the calling thread (never a mount worker:
     * a user's copy is written on a thread of the user's file credentials, which this makes), into an unnamed
     * file of {@code dirFd}; refused when the image is larger than {@code maxBytes}, or changed while it was
     * copied (its identity is then not what this rocker's records name).
     */
    synchronized void copy(int dirFd, long maxBytes) {
        if (!needsCopy()) return;
        String what = "app_pkg_path '" + path + "'";
        if (key.size() > maxBytes) {
            throw new RockerException(RockerError.PARAM_INVALID, what + ": " + copyReason + ", so root mounts a copy of it, and its "
                    + key.size() + " bytes are more than imageCopyMaxMiB (" + maxBytes + " bytes): " + ADVICE);
        }
        int out = -1;
        try {
            try {
                out = FileCopy.unnamedFile(dirFd, 0400, "a copy of " + what);
            } catch (SysException e) {
                if (e.errno() != Errno.EOPNOTSUPP && e.errno() != Errno.EISDIR) throw e;
                throw new RockerException(RockerError.SYS, "imageCopyDir: its file system makes no file without a name (O_TMPFILE), where "
                        + what + " is to be copied (" + copyReason + "): " + e.getMessage(), e);
            }
            int target = out;
            if (caller.isEngine()) {
                FileCopy.copy(fd, target, key.size(), what);
            } else {
                Posix.fchown(out, caller.uid(), caller.gid(), "a copy of " + what); // its blocks are the user's
                Credentials.as(caller.uid(), caller.gid(), caller.groups(), () -> {
                    FileCopy.copy(fd, target, key.size(), what);
                    return null;
                });
            }
            if (changed()) {
                throw new RockerException(RockerError.PARAM_INVALID, what + ": changed while it was copied");
            }
            copy = out;
        } catch (SysException e) {
            Posix.close(out);
            if (e.errno() == Errno.ENOSPC || e.errno() == Errno.EDQUOT) {
                throw new RockerException(RockerError.SYS, "cannot copy " + what + " (" + copyReason + "): " + e.getMessage(), e);
            }
            if (!changed()) throw e; // a read that failed (EIO) of an image that was cut short meanwhile is the change's
            throw new RockerException(RockerError.PARAM_INVALID, what + ": changed while it was copied", e);
        } catch (RuntimeException | Error e) {
            Posix.close(out);
            throw e;
        }
    }

    /** Whether the image's identity is no longer the one it was opened with. */
    private boolean changed() {
        return !ImageKey.of(Fd.stat(fd, path)).equals(key);
    }

    @Override
    public synchronized void close() {
        Posix.close(fd);
        if (copy >= 0) Posix.close(copy);
        copy = -1;
    }
}
