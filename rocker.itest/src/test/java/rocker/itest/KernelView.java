package rocker.itest;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * What the kernel says, read directly from /proc and /sys, never from Rocker's own answers (after
 * rocker.impl.linux's test helper of the same name).
 */
final class KernelView {
    private KernelView() {
    }

    /** Mount points of this process's (the host's) mount namespace. */
    static Set<String> mountPoints() throws IOException {
        Set<String> out = new TreeSet<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            out.add(line.split(" ")[4]);
        }
        return out;
    }

    /** "mount-point fstype" of every mount in the host's mount namespace whose type is overlay or squashfs. */
    static Set<String> overlayAndSquashfsMounts() throws IOException {
        Set<String> out = new TreeSet<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String type = line.substring(line.indexOf(" - ") + 3).split(" ")[0];
            if (type.equals("overlay") || type.equals("squashfs")) {
                out.add(line.split(" ")[4] + " " + type);
            }
        }
        return out;
    }

    /** "mount-point fstype" of the mounts of another process's mount namespace. */
    static List<String> mountsOf(int pid) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(pid), "mountinfo"))) {
            String type = line.substring(line.indexOf(" - ") + 3).split(" ")[0];
            out.add(line.split(" ")[4] + " " + type);
        }
        return out;
    }

    /** "loopN=backing file" of every attached loop device. */
    static Set<String> loopBackingFiles() throws IOException {
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

    /** The loop devices whose backing file lies under one of {@code prefixes}. */
    static Set<String> loopsOn(String... prefixes) throws IOException {
        return loopBackingFiles().stream()
                .filter(l -> java.util.Arrays.stream(prefixes).anyMatch(p -> l.substring(l.indexOf('=') + 1).startsWith(p)))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    static String status(int pid, String key) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(pid), "status"))) {
            if (line.startsWith(key + ":")) {
                return line.substring(key.length() + 1).trim();
            }
        }
        return null;
    }

    static String nsLink(int pid, String ns) throws IOException {
        return Files.readSymbolicLink(Path.of("/proc", Integer.toString(pid), "ns", ns)).toString();
    }

    static int self() {
        return (int) ProcessHandle.current().pid();
    }

    /** A process as /proc/PID/stat shows it: its name (comm) and start time (clock ticks after boot). */
    static final class Stat {
        final int pid;
        final String name;
        final char state;
        final long startTime;

        Stat(int pid, String name, char state, long startTime) {
            this.pid = pid;
            this.name = name;
            this.state = state;
            this.startTime = startTime;
        }

        @Override
        public String toString() {
            return pid + "(" + name + "," + state + "," + startTime + ")";
        }
    }

    static Optional<Stat> stat(int pid) {
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
    static boolean alive(int pid) {
        return stat(pid).map(s -> s.state != 'Z' && s.state != 'X').orElse(false);
    }

    /** Host pids whose pid namespace is {@code pidNs}. */
    static List<Integer> processesIn(String pidNs) throws IOException {
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
    static List<String> rockerProcessesMentioning(String... marks) throws IOException {
        String ours = nsLink(self(), "pid");
        List<String> out = new ArrayList<>();
        for (int pid : allPids()) {
            try {
                if (nsLink(pid, "pid").equals(ours)) {
                    continue;
                }
                String mi = Files.readString(Path.of("/proc", Integer.toString(pid), "mountinfo"));
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
    static Set<Integer> childNamespaceProcesses() throws IOException {
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
    static List<String> rockerThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith("rocker-")).sorted().collect(Collectors.toList());
    }

    static int openFds() throws IOException {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return (int) s.count();
        }
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

    /** Polls {@code check} for up to 10 s (auto-clear loop devices are detached asynchronously). */
    static boolean eventually(Callable<Boolean> check) throws Exception {
        long end = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < end) {
            if (check.call()) {
                return true;
            }
            Thread.sleep(20);
        }
        return check.call();
    }
}
