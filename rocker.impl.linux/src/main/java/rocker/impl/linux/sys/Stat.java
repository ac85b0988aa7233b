package rocker.impl.linux.sys;

/** What statx(2) said about an open file: type, mode, owner, links, identity, change and modification times. */
public final class Stat {
    public static final int S_IFMT = 0170000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFDIR = 0040000;
    public static final int S_IFLNK = 0120000;

    public final int mode;
    public final int uid;
    public final int gid;
    public final int nlink;
    public final long size;
    public final long ino;
    public final long dev;
    public final long ctimeSeconds;
    public final int ctimeNanos;
    public final long mtimeSeconds;
    public final int mtimeNanos;

    Stat(int mode, int uid, int gid, int nlink, long size, long ino, long dev, long ctimeSeconds, int ctimeNanos,
            long mtimeSeconds, int mtimeNanos) {
        this.mode = mode;
        this.uid = uid;
        this.gid = gid;
        this.nlink = nlink;
        this.size = size;
        this.ino = ino;
        this.dev = dev;
        this.ctimeSeconds = ctimeSeconds;
        this.ctimeNanos = ctimeNanos;
        this.mtimeSeconds = mtimeSeconds;
        this.mtimeNanos = mtimeNanos;
    }

    public boolean isRegular() { return (mode & S_IFMT) == S_IFREG; }
    public boolean isDir() { return (mode & S_IFMT) == S_IFDIR; }
    public boolean isSymlink() { return (mode & S_IFMT) == S_IFLNK; }
    /** The permission bits, with setuid, setgid and sticky. */
    public int permissions() { return mode & 07777; }

    /** "a regular file", "a dir", "a FIFO"...: for messages. */
    public String kind() {
        switch (mode & S_IFMT) {
            case S_IFREG: return "a regular file";
            case S_IFDIR: return "a dir";
            case S_IFLNK: return "a symbolic link";
            case 0010000: return "a FIFO";
            case 0020000: return "a character device";
            case 0060000: return "a block device";
            case 0140000: return "a socket";
            default: return "a file of unknown type";
        }
    }
}
