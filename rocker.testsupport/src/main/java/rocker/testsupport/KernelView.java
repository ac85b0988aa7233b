package rocker.testsupport;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * What the kernel says, read directly from /proc and /sys, never from Rocker's own answers: for the
 * engine tests, the integration tests and the bench.
 */
public final class KernelView {
    /** How long {@link #eventually(Callable)} polls. */
    public static final Duration EVENTUALLY = Duration.ofSeconds(10);

    private KernelView() {
    }

    /** Mount points of this process's mount namespace (the host's, for the tests and the bench). */
    public static Set<String> mountPoints() throws IOException {
        Set<String> out = new TreeSet<>();
        for (String line : lines(Path.of("/proc/self/mountinfo"))) {
            out.add(line.split(" ")[4]);
        }
        return out;
    }

    /** "mount-point fstype" of every mount in this process's mount namespace whose type is overlay or squashfs. */
    public static Set<String> overlayAndSquashfsMounts() throws IOException {
        Set<String> out = new TreeSet<>();
        for (String m : mounts(Path.of("/proc/self/mountinfo"))) {
            if (m.endsWith(" overlay") || m.endsWith(" squashfs")) {
                out.add(m);
            }
        }
        return out;
    }

    /** "mount-point fstype" of the mounts of another process's mount namespace. */
    public static List<String> mountsOf(int pid) throws IOException {
        return mounts(Path.of("/proc", Integer.toString(pid), "mountinfo"));
    }

    private static List<String> mounts(Path mountinfo) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : lines(mountinfo)) {
            String type = line.substring(line.indexOf(" - ") + 3).split(" ")[0];
            out.add(line.split(" ")[4] + " " + type);
        }
        return out;
    }

    /** "loopN=backing file" of every attached loop device. */
    public static Set<String> loopBackingFiles() throws IOException {
        Set<String> out = new TreeSet<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(Path.of("/sys/block"), "loop*")) {
            for (Path dev : s) {
                Path f = dev.resolve("loop/backing_file");
                try {
                    out.add(dev.getFileName() + "=" + Files.readString(f).trim());
                } catch (IOException e) {
                    // not attached (or detached meanwhile)
                }
            }
        }
        return out;
    }

    /** The loop devices whose backing file starts with one of {@code prefixes} ("DIR/": the ones under DIR). */
    public static Set<String> loopsOn(String... prefixes) throws IOException {
        return loopBackingFiles().stream()
                .filter(l -> Arrays.stream(prefixes).anyMatch(p -> l.substring(l.indexOf('=') + 1).startsWith(p)))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** A field of /proc/PID/status (e.g. "Uid", "NoNewPrivs"), or null when there is none. */
    public static String status(int pid, String key) throws IOException {
        for (String line : lines(Path.of("/proc", Integer.toString(pid), "status"))) {
            if (line.startsWith(key + ":")) {
                return line.substring(key.length() + 1).trim();
            }
        }
        return null;
    }

    /** The namespace link /proc/PID/ns/NS, e.g. "pid:[4026531836]". */
    public static String nsLink(int pid, String ns) throws IOException {
        return Files.readSymbolicLink(Path.of("/proc", Integer.toString(pid), "ns", ns)).toString();
    }

    public static int self() {
        return (int) ProcessHandle.current().pid();
    }

    /** A process as /proc/PID/stat shows it: its name (comm), state and start time (clock ticks after boot). */
    public record Stat(int pid, String name, char state, long startTime) {
        @Override
        public String toString() {
            return pid + "(" + name + "," + state + "," + startTime + ")";
        }
    }

    /** The process, if there is one with this pid (a zombie included). */
    public static Optional<Stat> stat(int pid) {
        try {
            String s = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
            int open = s.indexOf('(');
            int close = s.lastIndexOf(')');
            String[] rest = s.substring(close + 2).split(" ");
            return Optional.of(new Stat(pid, s.substring(open + 1, close), rest[0].charAt(0), Long.parseLong(rest[19])));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Whether {@code pid} is alive (a zombie counts as gone). */
    public static boolean alive(int pid) {
        return stat(pid).map(s -> s.state() != 'Z' && s.state() != 'X').orElse(false);
    }

    /** Host pids whose pid namespace is {@code pidNs}. */
    public static List<Integer> processesIn(String pidNs) throws IOException {
        List<Integer> out = new ArrayList<>();
        for (int pid : allPids()) {
            try {
                if (nsLink(pid, "pid").equals(pidNs)) {
                    out.add(pid);
                }
            } catch (IOException e) {
                // gone meanwhile
            }
        }
        return out;
    }

    /**
     * Processes in a pid namespace other than ours whose mount namespace shows one of {@code marks}
     * (our work dir, our images): the processes of rockers this test made. Processes of anybody
     * else's containers on the machine do not count.
     */
    public static List<String> rockerProcessesMentioning(String... marks) throws IOException {
        String ours = nsLink(self(), "pid");
        List<String> out = new ArrayList<>();
        for (int pid : allPids()) {
            try {
                if (nsLink(pid, "pid").equals(ours)) {
                    continue;
                }
                String mi = String.join("\n", lines(Path.of("/proc", Integer.toString(pid), "mountinfo")));
                for (String m : marks) {
                    if (mi.contains(m)) {
                        out.add(stat(pid).map(Stat::toString).orElse(Integer.toString(pid)));
                        break;
                    }
                }
            } catch (IOException e) {
                // gone meanwhile
            }
        }
        return out;
    }

    /** Pids of processes in pid namespaces other than ours. */
    public static Set<Integer> childNamespaceProcesses() throws IOException {
        String ours = nsLink(self(), "pid");
        Set<Integer> out = new TreeSet<>();
        for (int pid : allPids()) {
            try {
                if (!nsLink(pid, "pid").equals(ours)) {
                    out.add(pid);
                }
            } catch (IOException e) {
                // gone meanwhile
            }
        }
        return out;
    }

    private static List<Integer> allPids() throws IOException {
        List<Integer> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : s) {
                out.add(Integer.parseInt(p.getFileName().toString()));
            }
        }
        return out;
    }

    /** Names of this JVM's live threads that start with "rocker-", sorted. */
    public static List<String> rockerThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith("rocker-")).sorted().collect(Collectors.toList());
    }

    /** The threads of this process, as /proc/self/task lists them. */
    public static long threads() throws IOException {
        try (var s = Files.list(Path.of("/proc/self/task"))) {
            return s.count();
        }
    }

    public static int openFds() throws IOException {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return (int) s.count();
        }
    }

    /** Where this process's descriptors point, for messages. */
    public static String fdTargets() throws IOException {
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

    /** Polls {@code check} for up to {@link #EVENTUALLY} (auto-clear loop devices are detached asynchronously). */
    public static boolean eventually(Callable<Boolean> check) throws Exception {
        return eventually(EVENTUALLY, check);
    }

    /** Polls {@code check} every 20 ms for up to {@code limit}; then its last answer. */
    public static boolean eventually(Duration limit, Callable<Boolean> check) throws Exception {
        long end = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < end) {
            if (check.call()) {
                return true;
            }
            Thread.sleep(20);
        }
        return check.call();
    }

    /** A proc file's lines, decoded as UTF-8 with replacement: a mount point's name may be any bytes (a test makes one). */
    private static java.util.List<String> lines(Path file) throws IOException {
        return java.util.List.of(new String(Files.readAllBytes(file), java.nio.charset.StandardCharsets.UTF_8).split("\n"));
    }
}
