package rocker.impl.linux;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

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

    static Optional<ProcStat> read(int pid) {
        if (pid <= 0) return Optional.empty();
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Integer.toString(pid), "stat"));
            return Optional.of(parse(pid, new String(raw, StandardCharsets.UTF_8)));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
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
            pidfd = rocker.impl.linux.sys.Posix.pidfdOpen(pid);
        } catch (rocker.impl.linux.sys.SysException e) {
            return false;
        }
        try {
            if (!live(pid).map(s -> startTime <= 0 || s.startTime == startTime).orElse(false)) return false;
            rocker.impl.linux.sys.Posix.pidfdSendSignal(pidfd, rocker.impl.linux.sys.Posix.SIGKILL, what);
            return true;
        } catch (rocker.impl.linux.sys.SysException e) {
            return false;
        } finally {
            rocker.impl.linux.sys.Posix.close(pidfd);
        }
    }

    /** Whether this is still the process that had {@code name} and {@code startTime}. */
    boolean is(String expectedName, long expectedStartTime) {
        return name.equals(expectedName) && (expectedStartTime <= 0 || startTime == expectedStartTime);
    }
}
