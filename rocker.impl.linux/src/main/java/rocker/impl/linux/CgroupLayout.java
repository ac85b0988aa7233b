package rocker.impl.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where this host's cgroup controllers are, found at run time: the controllers of cgroup v1 each in
 * the hierarchy mounted with it ({@code /sys/fs/cgroup/memory}, {@code .../cpu,cpuacct}, ...), those of
 * cgroup v2 in its one hierarchy (listed in its {@code cgroup.controllers}). A controller is in one of
 * them at most (the kernel binds it to one). The mount points are parameters, so that tests can point
 * at a fake cgroupfs dir.
 */
final class CgroupLayout {
    /** The controllers Rocker uses: limits (memory, pids, cpu) and the CPU time (cpuacct in v1). */
    static final List<String> USED = List.of("memory", "pids", "cpu", "cpuacct");

    /** The v2 hierarchy's mount point, or null when there is none. */
    final Path v2;
    /** The controllers the v2 hierarchy offers (its cgroup.controllers). */
    final Set<String> v2Controllers;
    /** The v1 controllers Rocker uses, each with the mount point of its hierarchy. */
    final Map<String, Path> v1;

    CgroupLayout(Path v2, Map<String, Path> v1) {
        this.v2 = v2;
        this.v1 = Collections.unmodifiableMap(new LinkedHashMap<>(v1));
        Set<String> c = new LinkedHashSet<>();
        if (v2 != null) {
            try {
                String s = Files.readString(v2.resolve("cgroup.controllers")).trim();
                if (!s.isEmpty()) c.addAll(Arrays.asList(s.split("\\s+")));
            } catch (IOException e) {
                // no controllers: placement only
            }
        }
        this.v2Controllers = Collections.unmodifiableSet(c);
    }

    /** This process's view: its mount table. */
    static CgroupLayout detect() {
        try {
            return fromMountInfo(ReadOnlyHost.mountInfoLines(Path.of("/proc/self/mountinfo")));
        } catch (IOException e) {
            return new CgroupLayout(null, Map.of());
        }
    }

    /** From the lines of a {@code /proc/PID/mountinfo}: the first cgroup2 mount, and each used v1 controller's first mount. */
    static CgroupLayout fromMountInfo(List<String> lines) {
        Path v2 = null;
        Map<String, Path> v1 = new LinkedHashMap<>();
        for (String line : lines) {
            String[] f = line.split(" ");
            int dash = Arrays.asList(f).indexOf("-");
            if (dash < 5 || f.length < dash + 4) continue;
            String type = f[dash + 1];
            if (!type.equals("cgroup2") && !type.equals("cgroup")) continue;
            Path mountPoint;
            try {
                mountPoint = Path.of(ReadOnlyHost.unescape(f[4]));
            } catch (java.nio.file.InvalidPathException e) {
                continue; // a name java.nio cannot hold in this JVM's charset: not a hierarchy Rocker can use
            }
            if (type.equals("cgroup2")) {
                if (v2 == null) v2 = mountPoint;
            } else if (type.equals("cgroup")) {
                for (String opt : f[dash + 3].split(",")) {
                    if (USED.contains(opt)) v1.putIfAbsent(opt, mountPoint);
                }
            }
        }
        return new CgroupLayout(v2, v1);
    }


    /** Whether this host has {@code controller} (cpuacct: v1's, or v2's cpu.stat, which every v2 cgroup has). */
    boolean has(String controller) {
        return v1.containsKey(controller) || v2Controllers.contains(controller);
    }

    /** The hierarchy of a controller, or null. */
    Path hierarchyOf(String controller) {
        Path p = v1.get(controller);
        if (p != null) return p;
        return v2Controllers.contains(controller) ? v2 : null;
    }

    /** Every hierarchy a rocker gets a cgroup in: each v1 one with a used controller, then the v2 one (placement). */
    List<Path> hierarchies() {
        Set<Path> out = new LinkedHashSet<>(v1.values());
        if (v2 != null) out.add(v2);
        return new ArrayList<>(out);
    }

    boolean isV2(Path hierarchy) {
        return hierarchy.equals(v2);
    }

    @Override
    public String toString() {
        return "cgroups[v1=" + v1 + ", v2=" + v2 + " " + v2Controllers + "]";
    }
}
