package rocker.impl.linux.sys;

import jnr.ffi.Pointer;

/** The framing of ancillary data (cmsg(3)): SCM_RIGHTS to send, SCM_CREDENTIALS to read. */
final class ControlMessages {
    private ControlMessages() {
    }

    private static int word() {
        return Native.runtime().addressSize();
    }

    private static int header() {
        return align(word() + 8, word());
    }

    /** The bytes of one SCM_RIGHTS message with {@code count} descriptors (CMSG_SPACE). */
    static int rightsSpace(int count) {
        return header() + align(4 * count, word());
    }

    /** This thread's buffer holding one SCM_RIGHTS message with {@code fds}. */
    static Pointer rights(int[] fds) {
        int word = word();
        int header = header();
        int dataLength = 4 * fds.length;
        int space = rightsSpace(fds.length);
        Pointer control = Scratch.get(Scratch.CONTROL, space);
        control.setMemory(0, space, (byte) 0);
        if (word == 8) {
            control.putLong(0, header + dataLength);
        } else {
            control.putInt(0, header + dataLength);
        }
        control.putInt(word, Posix.SOL_SOCKET);
        control.putInt(word + 4, Posix.SCM_RIGHTS);
        for (int i = 0; i < fds.length; i++) {
            control.putInt(header + 4L * i, fds[i]);
        }
        return control;
    }

    /** The pid of the first SCM_CREDENTIALS message in {@code length} bytes of {@code control}, or 0. */
    static int credentialsPid(Pointer control, long length) {
        int word = word();
        int header = header();
        long off = 0;
        while (off + header <= length) {
            long len = word == 8 ? control.getLong(off) : control.getInt(off) & 0xffffffffL;
            int level = control.getInt(off + word);
            int type = control.getInt(off + word + 4);
            if (len < header) break;
            if (level == Posix.SOL_SOCKET && type == Posix.SCM_CREDENTIALS && len >= header + 12) {
                return control.getInt(off + header);
            }
            off += align((int) len, word);
        }
        return 0;
    }

    private static int align(int n, int word) {
        return (n + word - 1) & ~(word - 1);
    }
}
