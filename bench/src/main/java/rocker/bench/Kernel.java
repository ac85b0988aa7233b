package rocker.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** What the kernel says, read from /proc and /sys. */
final class Kernel {
    private Kernel() {
    }

    /** Mount points of this process's mount namespace (the host's, for the bench). */
    static Set<String> mountPoints() throws IOException {
        Set<String> out = new TreeSet<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            out.add(line.split(" ")[4]);
        }
        return out;
    }

    /** Attached loop devices: "loopN=backing file". */
    static Set<String> loopDevices() throws IOException {
        Set<String> out = new TreeSet<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(Path.of("/sys/block"), "loop*")) {
            for (Path dev : s) {
                Path f = dev.resolve("loop/backing_file");
                try {
                    if (Files.exists(f)) out.add(dev.getFileName() + "=" + Files.readString(f).trim());
                } catch (IOException e) {
                    // detached meanwhile
                }
            }
        }
        return out;
    }

    /** Loop devices whose backing file lies under {@code dir}. */
    static Set<String> loopDevicesUnder(Path dir) throws IOException {
        Set<String> out = new TreeSet<>();
        for (String l : loopDevices()) {
            if (l.substring(l.indexOf('=') + 1).startsWith(dir.toString() + "/")) out.add(l);
        }
        return out;
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

    static String sysParam(String path) {
        try {
            return Files.readString(Path.of(path)).trim();
        } catch (IOException e) {
            return null;
        }
    }

    /** Polls for up to {@code millis}. */
    static boolean eventually(long millis, java.util.function.BooleanSupplier check) throws InterruptedException {
        long end = System.nanoTime() + millis * 1_000_000L;
        while (System.nanoTime() < end) {
            if (check.getAsBoolean()) return true;
            Thread.sleep(20);
        }
        return check.getAsBoolean();
    }
}
