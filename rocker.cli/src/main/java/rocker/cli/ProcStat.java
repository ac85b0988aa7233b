package rocker.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import rocker.api.RockerError;
import rocker.api.RockerResult;

/**
 * The seed's {@code ROCKER_get_guardname} without an engine: the {@code comm} field of
 * {@code /proc/PID/stat}. The name may contain spaces and ')', so it is everything between the first
 * '(' and the <em>last</em> ')'.
 */
public final class ProcStat {
    private final Path proc;

    /** A reader of the real {@code /proc}. */
    public ProcStat() {
        this(Path.of("/proc"));
    }

    ProcStat(Path proc) {
        this.proc = proc;
    }

    /** The name of {@code pid} in {@link RockerResult#guardName()}, or {@code get_guardname_failed}. */
    public RockerResult guardName(int pid) {
        if (pid <= 0) {
            return RockerResult.failure(RockerError.PARAM_INVALID, "pid '" + pid + "': must be positive");
        }
        String stat;
        try {
            stat = new String(Files.readAllBytes(proc.resolve(Integer.toString(pid)).resolve("stat")), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return RockerResult.failure(RockerError.GET_GUARDNAME_FAILED, "no process " + pid + " (" + e.getMessage() + ")");
        }
        int open = stat.indexOf('(');
        int close = stat.lastIndexOf(')');
        if (open < 0 || close < open) {
            return RockerResult.failure(RockerError.GET_GUARDNAME_FAILED, "cannot parse /proc/" + pid + "/stat");
        }
        return RockerResult.success(0, pid, stat.substring(open + 1, close), "");
    }
}
