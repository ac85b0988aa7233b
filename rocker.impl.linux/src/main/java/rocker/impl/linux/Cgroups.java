package rocker.impl.linux;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.api.RockerRequest;
import rocker.api.RockerStats;

/**
 * The rockers' cgroups: one per rocker, {@code PARENT/NAME} in every hierarchy of {@link CgroupLayout}
 * that has a controller Rocker uses, and in the v2 hierarchy (for placement, even without controllers).
 * A rocker's cgroups are found again by its name alone, so a new engine reads and removes those of an
 * earlier one. The engine writes the limits before the keeper and guard are moved in, and the app
 * is forked by the guard only afterwards: it is bounded from its first instruction (docs/security.md,
 * "Resource limits").
 */
final class Cgroups {
    private static final Logger LOG = LoggerFactory.getLogger(Cgroups.class);
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_.-]+");
    static final String DEFAULT_PARENT = "rocker";
    static final long CFS_PERIOD_US = 100_000;
    /** How long removal waits for a cgroup's last process to be gone. */
    private static final long REMOVE_WAIT_NANOS = 2_000_000_000L;

    final CgroupLayout layout;
    final String parent;
    private final AtomicBoolean warnedNoPids = new AtomicBoolean();
    private final AtomicBoolean warnedNoOomAdj = new AtomicBoolean();

    Cgroups(CgroupLayout layout, String parent) {
        this.layout = layout;
        this.parent = checkParent(parent);
    }

    /** A relative path of plain names ("rocker", "rocker/tests"): no "..", no empty name. */
    static String checkParent(String parent) {
        if (parent == null || parent.isEmpty() || parent.startsWith("/") || parent.endsWith("/")) {
            throw new IllegalArgumentException("cgroupParent '" + parent + "': must be a relative path of names");
        }
        for (String s : parent.split("/")) {
            if (!SEGMENT.matcher(s).matches() || s.equals(".") || s.equals("..")) {
                throw new IllegalArgumentException("cgroupParent '" + parent + "': '" + s + "' is not a plain name");
            }
        }
        return parent;
    }

    /** The cgroup dir of rocker {@code name} in {@code hierarchy}. */
    Path dir(Path hierarchy, String name) {
        return hierarchy.resolve(parent).resolve(name);
    }

    /** The rocker's cgroup dirs that exist now. */
    List<Path> dirs(String name) {
        List<Path> out = new ArrayList<>();
        for (Path h : layout.hierarchies()) {
            Path d = dir(h, name);
            if (Files.isDirectory(d)) out.add(d);
        }
        return out;
    }

    /**
     * Makes the cgroups of rocker {@code name} and writes {@code request}'s limits into them. A failure
     * is {@code build_rocker_failed} naming the file, and nothing is left.
     */
    void create(String name, RockerRequest request) {
        checkControllers(request);
        List<Path> made = new ArrayList<>();
        try {
            for (Path h : layout.hierarchies()) {
                Path d = dir(h, name);
                for (int attempt = 1;; attempt++) {
                    try {
                        mkdirs(h.resolve(parent));
                        try {
                            Files.createDirectory(d);
                        } catch (FileAlreadyExistsException e) {
                            // a leftover of a crashed engine (names are unique among live rockers): reused
                        }
                        // on v2 the controllers are enabled once the child is there: the parent cannot go any more (it
                        // is not empty), and enabling them gives them to the existing child too, also when another
                        // engine made the parent again meanwhile (a new parent gives its children none)
                        if (layout.isV2(h)) enableV2Controllers(h);
                    } catch (IOException e) {
                        // another engine removed the parent while it was empty (its stop): make it again
                        if (attempt < 3 && missing(e)) continue;
                        throw e;
                    }
                    break;
                }
                made.add(d);
            }
            writeLimits(name, request, false);
        } catch (IOException e) {
            removeDirs(made);
            throw new RockerException(RockerError.BUILD_ROCKER_FAILED, "cannot make the rocker's cgroup: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            removeDirs(made);
            throw e;
        }
    }

    private void checkControllers(RockerRequest r) {
        if (r.memoryLimit() > 0 && !layout.has("memory")) missing("memory", "memory " + r.memoryLimit());
        if (r.cpus() > 0 && !layout.has("cpu")) missing("cpu", "cpus " + r.cpus());
        if (r.cpuWeight() > 0 && !layout.has("cpu")) missing("cpu", "cpu_weight " + r.cpuWeight());
        if (r.pidsLimit() > 0 && !layout.has("pids")) {
            if (r.pidsLimit() != RockerRequest.DEFAULT_PIDS_LIMIT) missing("pids", "pids " + r.pidsLimit());
            if (warnedNoPids.compareAndSet(false, true)) {
                LOG.warn("this host has no pids cgroup controller ({}): rockers get no default process limit", layout);
            }
        }
    }

    private void missing(String controller, String what) {
        throw new RockerException(RockerError.BUILD_ROCKER_FAILED, "cannot apply " + what + ": this host has no "
                + controller + " cgroup controller (" + layout + ")");
    }

    /** Whether {@code e} (or what it wraps) says a file or dir on the way is missing. */
    private static boolean missing(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.nio.file.NoSuchFileException) return true;
        }
        return false;
    }

    /** v2 gives a child a controller only when every ancestor enabled it for its children. */
    private void enableV2Controllers(Path root) throws IOException {
        List<String> wanted = new ArrayList<>();
        for (String c : List.of("memory", "pids", "cpu")) {
            if (layout.v2Controllers.contains(c)) wanted.add("+" + c);
        }
        if (wanted.isEmpty()) return;
        String value = String.join(" ", wanted);
        Path at = root;
        mkdirs(root.resolve(parent));
        for (String s : ("." + "/" + parent).split("/")) {
            if (!s.equals(".")) at = at.resolve(s);
            write(at.resolve("cgroup.subtree_control"), value);
        }
    }

    private static void mkdirs(Path p) throws IOException {
        if (!Files.isDirectory(p)) {
            try {
                Files.createDirectories(p);
            } catch (FileAlreadyExistsException e) {
                // made meanwhile by another engine
            } catch (IOException e) {
                throw new IOException("mkdir " + p + ": " + reason(e), e);
            }
        }
    }

    /**
     * Writes the limits of {@code request} into the existing cgroups of rocker {@code name} (a spare's,
     * made with the default limits). A failure is build_rocker_failed naming the file; the cgroups stay
     * for the caller to remove.
     */
    void limit(String name, RockerRequest request) {
        checkControllers(request);
        try {
            writeLimits(name, request, true);
        } catch (IOException e) {
            throw new RockerException(RockerError.BUILD_ROCKER_FAILED, "cannot limit the rocker's cgroup: " + e.getMessage(), e);
        }
    }

    /** {@code defaultsSet}: the cgroup has the default limits already (a spare's): only what differs is written. */
    private void writeLimits(String name, RockerRequest r, boolean defaultsSet) throws IOException {
        Path mem = layout.hierarchyOf("memory");
        if (mem != null && r.memoryLimit() > 0) {
            Path d = dir(mem, name);
            String bytes = Long.toString(r.memoryLimit());
            if (layout.isV2(mem)) {
                write(d.resolve("memory.max"), bytes);
                writeIfPresent(d.resolve("memory.swap.max"), "0");
            } else {
                write(d.resolve("memory.limit_in_bytes"), bytes);
                writeIfPresent(d.resolve("memory.memsw.limit_in_bytes"), bytes); // so swap does not escape
            }
        }
        Path pids = layout.hierarchyOf("pids");
        if (pids != null && !(defaultsSet && r.pidsLimit() == RockerRequest.DEFAULT_PIDS_LIMIT)) {
            write(dir(pids, name).resolve("pids.max"), r.pidsLimit() == 0 ? "max" : Integer.toString(r.pidsLimit()));
        }
        Path cpu = layout.hierarchyOf("cpu");
        if (cpu != null) {
            Path d = dir(cpu, name);
            long quota = Math.max(1000, Math.round(r.cpus() * CFS_PERIOD_US));
            if (layout.isV2(cpu)) {
                if (r.cpus() > 0) write(d.resolve("cpu.max"), quota + " " + CFS_PERIOD_US);
                if (r.cpuWeight() > 0) write(d.resolve("cpu.weight"), Integer.toString(r.cpuWeight()));
            } else {
                if (r.cpus() > 0) {
                    write(d.resolve("cpu.cfs_period_us"), Long.toString(CFS_PERIOD_US));
                    write(d.resolve("cpu.cfs_quota_us"), Long.toString(quota));
                }
                if (r.cpuWeight() > 0) {
                    write(d.resolve("cpu.shares"), Long.toString(Math.max(2, r.cpuWeight() * 1024L / 100)));
                }
            }
        }
    }

    /** Moves the processes {@code pids} (keeper, guard) into every cgroup of rocker {@code name}. */
    void enter(String name, int... pids) {
        for (Path h : layout.hierarchies()) {
            for (int pid : pids) {
                try {
                    write(dir(h, name).resolve("cgroup.procs"), Integer.toString(pid));
                } catch (IOException e) {
                    throw new RockerException(RockerError.BUILD_ROCKER_FAILED, "cannot move pid " + pid
                            + " into the rocker's cgroup: " + e.getMessage(), e);
                }
            }
        }
    }

    /**
     * The OOM killer never picks this process (the guard, the keeper), so it picks the app. Lowering
     * oom_score_adj needs CAP_SYS_RESOURCE: an engine without it (some containers) warns once and goes
     * on; the guard and keeper then keep the engine's value, and the OOM killer still prefers the
     * largest process of the cgroup, the app's.
     */
    void protectFromOom(int pid) {
        // refused once (the engine lacks CAP_SYS_RESOURCE, which it never gains later): not tried again on every spare
        if (warnedNoOomAdj.get()) return;
        try {
            write(Path.of("/proc", Integer.toString(pid), "oom_score_adj"), "-1000");
        } catch (IOException e) {
            // EACCES, from open (AccessDeniedException) or, as the kernel checks on write, from write
            Throwable c = e.getCause();
            if (c instanceof java.nio.file.AccessDeniedException || (c != null && "Permission denied".equals(c.getMessage()))) {
                if (warnedNoOomAdj.compareAndSet(false, true)) {
                    LOG.warn("the engine cannot lower oom_score_adj (no CAP_SYS_RESOURCE): guards stay within the OOM killer's reach");
                }
                return;
            }
            throw new RockerException(RockerError.BUILD_ROCKER_FAILED, "cannot protect pid " + pid + " from the OOM killer: "
                    + e.getMessage(), e);
        }
    }

    /** What rocker {@code name} uses now; empty when it has no cgroup. A figure missing here is -1. */
    Optional<RockerStats> stats(String name) {
        if (dirs(name).isEmpty()) return Optional.empty();
        long memory = -1;
        long peak = -1;
        long oom = -1;
        Path mem = layout.hierarchyOf("memory");
        if (mem != null) {
            Path d = dir(mem, name);
            if (layout.isV2(mem)) {
                memory = readLong(d.resolve("memory.current"));
                peak = readLong(d.resolve("memory.peak"));
                oom = readKey(d.resolve("memory.events"), "oom_kill");
            } else {
                memory = readLong(d.resolve("memory.usage_in_bytes"));
                peak = readLong(d.resolve("memory.max_usage_in_bytes"));
                oom = readKey(d.resolve("memory.oom_control"), "oom_kill");
            }
        }
        Path pidsH = layout.hierarchyOf("pids");
        long pids = pidsH == null ? -1 : readLong(dir(pidsH, name).resolve("pids.current"));
        long cpu = -1;
        Path acct = layout.v1.get("cpuacct");
        if (acct != null) {
            cpu = readLong(dir(acct, name).resolve("cpuacct.usage"));
        } else if (layout.v2 != null) {
            long usec = readKey(dir(layout.v2, name).resolve("cpu.stat"), "usage_usec");
            cpu = usec < 0 ? -1 : usec * 1000;
        }
        return Optional.of(new RockerStats(memory, peak, pids, cpu, oom));
    }

    private static long readLong(Path f) {
        try {
            String s = Files.readString(f).trim();
            return s.equals("max") ? -1 : Long.parseLong(s);
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /** The value of "key N" in a flat-keyed file (memory.events, cpu.stat, memory.oom_control). */
    private static long readKey(Path f, String key) {
        try {
            for (String line : Files.readAllLines(f)) {
                String[] kv = line.trim().split("\\s+");
                if (kv.length == 2 && kv[0].equals(key)) return Long.parseLong(kv[1]);
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /**
     * Removes the cgroups of rocker {@code name}, waiting briefly for their last process to be gone;
     * true when none is left.
     */
    boolean remove(String name) {
        removeBusy(false);
        boolean gone = removeDirs(dirsOf(name));
        if (!gone) busy.add(name);
        return gone;
    }

    /** Rockers whose cgroups still had a process when they were removed: tried again later, never left behind. */
    private final java.util.Set<String> busy = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private List<Path> dirsOf(String name) {
        List<Path> dirs = new ArrayList<>();
        for (Path h : layout.hierarchies()) dirs.add(dir(h, name));
        return dirs;
    }

    /**
     * Tries again to remove the cgroups that were busy (before each removal, once each; with {@code wait},
     * on the engine's close, waiting briefly as {@link #remove} does). Only an empty cgroup can be removed,
     * so nothing that still has a process is touched.
     */
    void removeBusy(boolean wait) {
        for (String name : busy) {
            boolean gone = true;
            for (Path d : dirsOf(name)) gone &= wait ? rmdir(d) : rmdirOnce(d);
            if (gone && busy.remove(name)) LOG.info("removed the cgroups of {}, busy before", name);
        }
    }

    private static boolean rmdirOnce(Path d) {
        try {
            Files.deleteIfExists(d);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Removes the cgroups under the parent that no live rocker owns ({@code owned} says which names are
     * recorded): the spares' and half-built rockers' of an engine that was killed. Only an empty cgroup
     * can be removed (the kernel refuses one with a process), so a live rocker's is never touched.
     */
    void sweep(java.util.function.Predicate<String> owned) {
        for (Path h : layout.hierarchies()) {
            Path p = h.resolve(parent);
            if (!Files.isDirectory(p)) continue;
            try (java.util.stream.Stream<Path> children = Files.list(p)) {
                for (Path c : (Iterable<Path>) children::iterator) {
                    String name = c.getFileName().toString();
                    if (Files.isDirectory(c) && GuardNames.looksLikeGuardName(name) && !owned.test(name)) {
                        try {
                            Files.delete(c);
                            LOG.info("removed the cgroup {} that no live rocker owns", c);
                        } catch (IOException e) {
                            LOG.debug("the cgroup {} stays: {}", c, reason(e));
                        }
                    }
                }
            } catch (IOException e) {
                LOG.debug("cannot look for leftover cgroups in {}: {}", p, reason(e));
            }
        }
    }

    /**
     * Removes the Rocker parent where it is empty (no rocker's cgroup in it: the kernel refuses to remove
     * a cgroup with children), so an engine that stops leaves no empty cgroup behind; the next build
     * makes it again.
     */
    void removeParentIfEmpty() {
        for (Path h : layout.hierarchies()) {
            try {
                Files.deleteIfExists(h.resolve(parent));
            } catch (IOException e) {
                LOG.debug("the cgroup parent {} stays: {}", h.resolve(parent), reason(e));
            }
        }
    }

    private static boolean removeDirs(List<Path> dirs) {
        boolean all = true;
        for (Path d : dirs) {
            all &= rmdir(d);
        }
        return all;
    }

    private static boolean rmdir(Path d) {
        long end = System.nanoTime() + REMOVE_WAIT_NANOS;
        for (;;) {
            try {
                Files.delete(d);
                return true;
            } catch (NoSuchFileException e) {
                return true;
            } catch (DirectoryNotEmptyException e) {
                LOG.warn("cannot remove the cgroup {}: not empty", d);
                return false;
            } catch (IOException e) {
                // EBUSY: a process is still in it (it is ending)
                if (System.nanoTime() > end) {
                    LOG.warn("cannot remove the cgroup {}: {}", d, reason(e));
                    return false;
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
    }

    /** Writes {@code value} into a cgroup file with one write; the failure names the file. */
    static void write(Path file, String value) throws IOException {
        try {
            Files.write(file, value.getBytes(StandardCharsets.US_ASCII), StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new IOException("cannot write '" + value + "' to " + file + ": " + reason(e), e);
        }
    }

    private static void writeIfPresent(Path file, String value) throws IOException {
        if (Files.exists(file)) write(file, value);
    }

    private static String reason(IOException e) {
        if (e instanceof NoSuchFileException) return "no such file";
        if (e instanceof FileSystemException) {
            String r = ((FileSystemException) e).getReason();
            if (r != null) return r;
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }
}
