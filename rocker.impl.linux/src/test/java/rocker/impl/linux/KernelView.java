package rocker.impl.linux;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** What the kernel says, read directly from /proc and /sys (never from Rocker's own answers). */
final class KernelView {
    private KernelView() {
    }

    /** Mount points of this process's mount namespace. */
    static Set<String> mountPoints() throws IOException {
        Set<String> out = new TreeSet<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            out.add(line.split(" ")[4]);
        }
        return out;
    }

    /** Mount points of another process's mount namespace, with their fs types: "target type". */
    static List<String> mountsOf(int pid) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(pid), "mountinfo"))) {
            String[] f = line.split(" ");
            int dash = line.indexOf(" - ");
            String type = line.substring(dash + 3).split(" ")[0];
            out.add(f[4] + " " + type);
        }
        return out;
    }

    /** Backing files of attached loop devices. */
    static Set<String> loopBackingFiles() throws IOException {
        Set<String> out = new TreeSet<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(Path.of("/sys/block"), "loop*")) {
            for (Path dev : s) {
                Path f = dev.resolve("loop/backing_file");
                if (Files.exists(f)) out.add(dev.getFileName() + "=" + Files.readString(f).trim());
            }
        }
        return out;
    }

    static String status(int pid, String key) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(pid), "status"))) {
            if (line.startsWith(key + ":")) return line.substring(key.length() + 1).trim();
        }
        return null;
    }

    static String nsLink(int pid, String ns) throws IOException {
        return Files.readSymbolicLink(Path.of("/proc", Integer.toString(pid), "ns", ns)).toString();
    }

    static boolean exists(int pid) {
        return ProcStat.live(pid).isPresent();
    }

    /** Pids (host view) whose pid namespace is {@code pidNs}. */
    static List<Integer> processesIn(String pidNs) throws IOException {
        List<Integer> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : s) {
                try {
                    if (Files.readSymbolicLink(p.resolve("ns/pid")).toString().equals(pidNs)) {
                        out.add(Integer.parseInt(p.getFileName().toString()));
                    }
                } catch (IOException e) {
                    // gone meanwhile
                }
            }
        }
        return out;
    }

    static long threads() throws IOException {
        try (var s = Files.list(Path.of("/proc/self/task"))) {
            return s.count();
        }
    }

    static int openFds() throws IOException {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return (int) s.count();
        }
    }

    /** Polls {@code check} for up to 5 s (the kernel detaches auto-clear loop devices asynchronously). */
    static boolean eventually(java.util.concurrent.Callable<Boolean> check) throws Exception {
        long end = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < end) {
            if (check.call()) return true;
            Thread.sleep(20);
        }
        return check.call();
    }

    /** Where this process's descriptors point, for messages. */
    static String fdTargets() throws IOException {
        StringBuilder b = new StringBuilder();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path p : s) {
                try {
                    b.append(p.getFileName()).append("->").append(Files.readSymbolicLink(p)).append(' ');
                } catch (IOException e) {
                    // the directory stream's own descriptor
                }
            }
        }
        return b.toString();
    }
}
