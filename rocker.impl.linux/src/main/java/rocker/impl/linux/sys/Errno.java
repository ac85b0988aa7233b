package rocker.impl.linux.sys;

/** The errno values the engine reacts to (the same on every Linux architecture we build for). */
public final class Errno {
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int ESRCH = 3;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int EACCES = 13;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int ENOTDIR = 20;
    public static final int EINVAL = 22;
    public static final int ENOSPC = 28;
    public static final int EROFS = 30;
    public static final int ENOSYS = 38;
    public static final int ELOOP = 40;
    public static final int ENOTTY = 25;
    public static final int ENXIO = 6;
    public static final int EISDIR = 21;
    public static final int E2BIG = 7;
    public static final int EXDEV = 18;
    public static final int ENOTEMPTY = 39;
    public static final int ENAMETOOLONG = 36;
    public static final int ECONNREFUSED = 111;
    public static final int EOPNOTSUPP = 95;
    public static final int EDQUOT = 122;

    private Errno() {
    }

    /** "ENOENT (No such file or directory)"-like text, from libc's strerror. */
    public static String describe(int errno) {
        String text;
        try {
            text = Native.process().strerror(errno);
        } catch (RuntimeException | LinkageError e) {
            text = null;
        }
        return "errno " + errno + (text == null ? "" : " (" + text + ")");
    }
}
