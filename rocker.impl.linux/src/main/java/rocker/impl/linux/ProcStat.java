package rocker.impl.linux;

import java.util.Optional;

import rocker.impl.linux.sys.Fd;
import rocker.impl.linux.sys.Posix;

/**
 * One process's {@code /proc/<pid>/stat}: its name ({@code comm}), state and start time. The name
 * may contain spaces and parentheses, so it is what lies between the first '(' and the LAST ')'.
 */
final class ProcStat {
    final int pid;
    final String name;
    final char state;
    final int ppid;
    final long startTime;

    private ProcStat(int pid, String name, char state, int ppid, long startTime) {
        this.pid = pid;
        this.name = name;
        this.state = state;
        this.ppid = ppid;
        this.startTime = startTime;
    }

    /** The process, if it exists and is not a zombie. */
    static Optional<ProcStat> live(int pid) {
        return read(pid).filter(s -> s.state != 'Z' && s.state != 'X');
    }

    /** A stat line's most: 52 numbers of at most 20 digits and a name of at most 64 bytes, with room to spare. */
    private static final int STAT_MAX = 4096;

    static Optional<ProcStat> read(int pid) {
        if (pid <= 0) return Optional.empty();
        // three system calls (open, pread, close) where a NIO read makes five: on every start's path (a spare's check)
        int fd = Fd.tryOpenat(Fd.AT_FDCWD, "/proc/" + pid + "/stat",
                Posix.O_RDONLY, 0);
        if (fd < 0) return Optional.empty();
        try {
            return Optional.of(parse(pid, Fd.readStart(fd, STAT_MAX, "/proc/" + pid + "/stat")));
        } catch (RuntimeException e) {
            return Optional.empty();
        } finally {
            Posix.close(fd);
        }
    }

    static ProcStat parse(int pid, String line) {
        int open = line.indexOf('(');
        int close = line.lastIndexOf(')');
        if (open < 0 || close < open) throw new IllegalArgumentException("not a stat line: " + line);
        String name = line.substring(open + 1, close);
        String[] rest = line.substring(close + 2).trim().split(" ");
        // rest[0] is field 3 (state); field 4 is ppid; field 22 is starttime
        return new ProcStat(pid, name, rest[0].charAt(0), Integer.parseInt(rest[1]), Long.parseLong(rest[19]));
    }

    /**
     * SIGKILL to process {@code pid} only while it is the one that started at {@code startTime}: checked on a
     * pidfd that pins it, so a pid reused meanwhile is never signalled ({@code startTime} 0: not known, so
     * not checked, as {@link #is} does). False when it is gone or another.
     */
    static boolean killIfStill(int pid, long startTime, String what) {
        int pidfd;
        try {
            pidfd = Posix.pidfdOpen(pid);
        } catch (rocker.impl.linux.sys.SysException e) {
            return false;
        }
        try {
            if (!live(pid).map(s -> startTime <= 0 || s.startTime == startTime).orElse(false)) return false;
            Posix.pidfdSendSignal(pidfd, Posix.SIGKILL, what);
            return true;
        } catch (rocker.impl.linux.sys.SysException e) {
            return false;
        } finally {
            Posix.close(pidfd);
        }
    }

    /** Whether this is still the process that had {@code name} and {@code startTime}. */
    boolean is(String expectedName, long expectedStartTime) {
        return name.equals(expectedName) && (expectedStartTime <= 0 || startTime == expectedStartTime);
    }
}
