package rocker.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** What the kernel says about a process, read from /proc (mounts and loop devices: rocker.testsupport.KernelView). */
final class Kernel {
    private Kernel() {
    }

    /** A field of /proc/PID/status, e.g. VmRSS ("1234 kB"), or empty. */
    static Optional<String> status(long pid, String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith(key + ":")) return Optional.of(line.substring(key.length() + 1).trim());
            }
        } catch (IOException e) {
            // gone
        }
        return Optional.empty();
    }

    /** A "NNN kB" field of /proc/PID/status in KiB, or -1. */
    static long statusKib(long pid, String key) {
        return status(pid, key).map(v -> Long.parseLong(v.split("\\s+")[0])).orElse(-1L);
    }

    /** Pss of a process in KiB (smaps_rollup), or -1. */
    static long pssKib(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps_rollup"))) {
                if (line.startsWith("Pss:")) return Long.parseLong(line.substring(4).trim().split("\\s+")[0]);
            }
        } catch (IOException | RuntimeException e) {
            // gone or not readable
        }
        return -1;
    }

    /** The process's name (comm), or empty when it is gone. */
    static Optional<String> comm(long pid) {
        try {
            return Optional.of(Files.readString(Path.of("/proc", Long.toString(pid), "comm")).trim());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * The memory controller's cgroups the kernel counts (/proc/cgroups), those that went offline and still
     * have pages charged included; -1 when it has no memory controller.
     */
    static int memoryCgroups() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cgroups"))) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 3 && f[0].equals("memory")) return Integer.parseInt(f[2]);
            }
        } catch (IOException | RuntimeException e) {
            // no /proc/cgroups
        }
        return -1;
    }

    static String sysParam(String path) {
        try {
            return Files.readString(Path.of(path)).trim();
        } catch (IOException e) {
            return null;
        }
    }
}
