package rocker.impl.linux;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import rocker.impl.linux.sys.Posix;
import rocker.impl.linux.sys.SysException;

/**
 * What a new engine does first (docs/engine.md, "Crash consistency"): it makes the registry and the
 * processes agree again after whatever stopped the engines before it (a bundle update, a restart, a
 * SIGKILL in the middle of a build).
 * <ul>
 * <li>A running rocker whose guard lives is adopted: the engine connects to its status socket and so
 * learns its app's exit status and its end like its maker would. One whose guard is gone is pruned.</li>
 * <li>A spare or a rocker being built whose engine is gone is torn down (its guard killed, its keeper
 * awaited, so its mounts and loop device go too) and its record removed: a build that never answered
 * its client is not finished for it. One whose engine lives is that engine's business.</li>
 * <li>A guard of this state dir that no record names is destroyed, never left invisible. A guard is
 * recognised only by what a user cannot forge: effective uid 0, PID 1 of its own pid namespace,
 * {@code /proc/PID/exe} a guard binary (same device and inode as one in {@code <state dir>/bin} or
 * the engine's configured guard), and this state dir's key on its command line.</li>
 * </ul>
 */
final class Reconciler {
    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);

    /** What one reconciliation did. */
    static final class Outcome {
        int adopted;
        int pruned;
        int tornDown;
        int orphans;
        int othersBuilding;
        int holders;

        @Override
        public String toString() {
            return adopted + " adopted, " + pruned + " pruned, " + tornDown + " half-built torn down, " + orphans
                    + " unrecorded destroyed, " + othersBuilding + " left to their live engines, " + holders + " image holders";
        }
    }

    private final Registry registry;
    private final ExitWatcher watcher;
    private final Cgroups cgroups;
    private final String stateKey;
    private final Set<String> binaries;
    private final int timeoutMillis;

    Reconciler(Registry registry, ExitWatcher watcher, Cgroups cgroups, String stateKey, Set<String> binaries, int timeoutMillis) {
        this.registry = registry;
        this.watcher = watcher;
        this.cgroups = cgroups;
        this.stateKey = stateKey;
        this.binaries = binaries;
        this.timeoutMillis = timeoutMillis;
    }

    /** The device and inode ("dev:ino") of a file, following links; empty when it cannot be read. */
    static Optional<String> fileKey(Path p) {
        try {
            Map<String, Object> a = Files.readAttributes(p, "unix:dev,ino");
            return Optional.of(a.get("dev") + ":" + a.get("ino"));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The guard binaries: each file in {@code binDir}, and {@code configured} when given. */
    static Set<String> binaries(Path binDir, String configured) {
        Set<String> out = new HashSet<>();
        if (Files.isDirectory(binDir)) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(binDir, "rocker-guard*")) {
                for (Path f : files) fileKey(f).ifPresent(out::add);
            } catch (IOException e) {
                LOG.warn("cannot list the guard binaries in {}: {}", binDir, e.toString());
            }
        }
        if (configured != null) fileKey(Path.of(configured)).ifPresent(out::add);
        return out;
    }

    Outcome run() {
        Outcome o = new Outcome();
        // the processes first: a guard is spawned only after its record is written, so a guard seen
        // here is in the records read below unless it is gone by then
        Map<String, Integer> guards = guardsOfThisStateDir();
        registry.removeStaleTemporaries();
        Map<String, RockerRecord> records = new HashMap<>();
        for (RockerRecord r : registry.all()) {
            records.put(r.name, r);
            if (r.state == RockerRecord.State.HOLDER && r.guardPid > 0) {
                // an image holder: the engine's ImageHolders keeps it while rockers use it, and for its grace period
                if (r.isAlive()) {
                    o.holders++;
                } else {
                    forget(r.name);
                    o.pruned++;
                }
            } else if (r.state.runs()) {
                if (r.isAlive()) {
                    adopt(r);
                    o.adopted++;
                } else {
                    forget(r.name);
                    o.pruned++;
                }
            } else if (r.ownerAlive()) {
                o.othersBuilding++;
            } else if (tearDown(r, guards.getOrDefault(r.name, 0))) {
                forget(r.name);
                o.tornDown++;
            }
        }
        for (Map.Entry<String, Integer> g : guards.entrySet()) {
            String name = g.getKey();
            RockerRecord r = records.get(name);
            if (r != null && (r.guardPid == 0 || r.guardPid == g.getValue())) continue;
            // read again: a record renamed into place while the dir was listed may have been missed, and a
            // record put aside as unreadable leaves its guard to a human
            if (r == null && registry.containsAny(name)) continue;
            LOG.warn("guard pid {} (rocker {}) has no record: destroying it", g.getValue(), name);
            if (isOurGuard(g.getValue(), 0, name).isPresent()) {
                kill(g.getValue(), name);
                cgroups.remove(name);
                o.orphans++;
            }
        }
        return o;
    }

    /**
     * Kills the guard of a half-built rocker whose engine is gone; true when it is gone (killed, or dead
     * already). Its record is the engine's own, written as root: the recorded pid with the recorded start
     * time is its guard. With no pid recorded yet, the guard found by its command line is.
     */
    private boolean tearDown(RockerRecord r, int found) {
        if (r.guardPid > 0) {
            Optional<ProcStat> s = ProcStat.live(r.guardPid);
            if (s.isEmpty() || s.get().startTime != r.guardStart) return true; // gone
            return kill(r.guardPid, r.name);
        }
        if (found > 0 && isOurGuard(found, 0, r.name).isPresent()) return kill(found, r.name);
        return true; // never spawned, or gone
    }

    private void adopt(RockerRecord r) {
        try {
            watcher.adopt(r, registry.connectStatus(r.name));
        } catch (SysException e) {
            // made before status sockets (or its guard is ending): listed and destroyable, its status unknown
            LOG.debug("rocker {}: no status socket ({}); its app's exit status is not observable", r.name, e.getMessage());
        }
    }

    private void forget(String name) {
        registry.remove(name);
        cgroups.remove(name);
    }

    /**
     * SIGKILLs the guard {@code pid}, the process that has this start time now (checked again on a pidfd,
     * with PID 1 of its namespace and euid 0), and awaits it and its keeper; true when it is gone.
     */
    private boolean kill(int pid, String name) {
        Optional<ProcStat> before = ProcStat.live(pid);
        if (before.isEmpty()) return true;
        int keeper = before.get().ppid;
        int pidfd;
        try {
            pidfd = Posix.pidfdOpen(pid);
        } catch (SysException e) {
            return true; // gone
        }
        int keeperFd = -1;
        try {
            Optional<ProcStat> now = ProcStat.live(pid);
            if (now.isEmpty() || now.get().startTime != before.get().startTime) return true;
            if (!isRootAndPidOne(Path.of("/proc", Integer.toString(pid)))) {
                LOG.warn("pid {} (rocker {}) is not a guard: left alone", pid, name);
                return false;
            }
            try {
                keeperFd = Posix.pidfdOpen(keeper);
            } catch (SysException e) {
                // gone already
            }
            Posix.pidfdSendSignal(pidfd, Posix.SIGKILL, "guard " + name);
            if (!Posix.awaitReadable(pidfd, timeoutMillis)) {
                LOG.warn("guard pid {} (rocker {}) did not end within {} ms", pid, name, timeoutMillis);
                return false;
            }
            // the keeper holds the mount namespace: once it is gone, so are the mounts and the loop device
            if (keeperFd >= 0 && ProcStat.live(keeper).map(s -> s.name.equals("rocker-keeper")).orElse(false)) {
                Posix.awaitReadable(keeperFd, timeoutMillis);
            }
            Keepers.reapIfOurs(keeper);
            return true;
        } catch (SysException e) {
            LOG.warn("cannot destroy guard pid {} (rocker {}): {}", pid, name, e.getMessage());
            return false;
        } finally {
            Posix.close(keeperFd);
            Posix.close(pidfd);
        }
    }

    /** The guards of this state dir that live now, by the record name on their command line. */
    private Map<String, Integer> guardsOfThisStateDir() {
        Map<String, Integer> out = new HashMap<>();
        if (binaries.isEmpty()) return out;
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> isNumber(p.getFileName().toString()))) {
            for (Path p : procs) {
                int pid = Integer.parseInt(p.getFileName().toString());
                isOurGuard(pid, 0, null).ifPresent(name -> out.put(name, pid));
            }
        } catch (IOException e) {
            LOG.warn("cannot list /proc: {}", e.toString());
        }
        return out;
    }

    /**
     * The record name of guard {@code pid} if it is a guard of this state dir (with {@code start} > 0: still
     * the process that started then; with {@code name}: the guard of that rocker).
     */
    private Optional<String> isOurGuard(int pid, long start, String name) {
        String[] argv = commandLine(pid);
        if (argv.length != 6 || !argv[0].equals("rocker-guard") || !argv[5].equals(stateKey)
                || !GuardNames.looksLikeGuardName(argv[4]) || name != null && !argv[4].equals(name)) {
            return Optional.empty();
        }
        Optional<ProcStat> s = ProcStat.live(pid);
        if (s.isEmpty() || start > 0 && s.get().startTime != start) return Optional.empty();
        Path proc = Path.of("/proc", Integer.toString(pid));
        if (!isRootAndPidOne(proc)) return Optional.empty();
        Optional<String> exe = fileKey(proc.resolve("exe"));
        if (exe.isEmpty() || !binaries.contains(exe.get())) return Optional.empty();
        return Optional.of(argv[4]);
    }

    private static String[] commandLine(int pid) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Integer.toString(pid), "cmdline"));
            if (raw.length == 0) return new String[0];
            String s = new String(raw, StandardCharsets.UTF_8);
            if (s.endsWith("\0")) s = s.substring(0, s.length() - 1);
            return s.split("\0", -1);
        } catch (IOException e) {
            return new String[0];
        }
    }

    /** Effective uid 0, and PID 1 of a pid namespace of its own (a keeper is not). */
    private static boolean isRootAndPidOne(Path proc) {
        boolean root = false;
        boolean pidOne = false;
        try {
            for (String line : Files.readAllLines(proc.resolve("status"))) {
                if (line.startsWith("Uid:")) {
                    String[] ids = line.substring(4).trim().split("\\s+");
                    root = ids.length > 1 && ids[1].equals("0");
                } else if (line.startsWith("NSpid:")) {
                    String[] ids = line.substring(6).trim().split("\\s+");
                    pidOne = ids.length > 1 && ids[ids.length - 1].equals("1");
                }
            }
        } catch (IOException e) {
            return false;
        }
        return root && pidOne;
    }

    private static boolean isNumber(String s) {
        if (s.isEmpty()) return false;
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') return false;
        }
        return true;
    }

    /** The key of a state dir that its guards carry on their command lines: its device and inode. */
    static String stateKey(Path stateDir) throws IOException {
        return fileKey(stateDir).orElseThrow(() -> new IOException("cannot stat the state dir " + stateDir));
    }
}
