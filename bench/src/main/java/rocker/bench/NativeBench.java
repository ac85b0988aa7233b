package rocker.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The same start done without Rocker: by our C floor ({@code floor run}) and, timed by the floor's
 * {@code time} mode (posix_spawn + waitpid, no JVM in the loop), by bubblewrap and by unshare(1).
 */
final class NativeBench {
    static final String[] STEPS = {"prepare", "unshare", "private", "overlays", "loop", "mount", "exec_wait"};

    static final class Series {
        final List<Long> starts = new ArrayList<>();
        final List<Long> teardowns = new ArrayList<>();
        final Map<String, List<Long>> steps = new LinkedHashMap<>();

        /** Appends another block of runs. */
        void add(Series o) {
            starts.addAll(o.starts);
            teardowns.addAll(o.teardowns);
            for (Map.Entry<String, List<Long>> e : o.steps.entrySet()) {
                steps.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).addAll(e.getValue());
            }
        }

        List<Long> cycles() {
            List<Long> out = new ArrayList<>();
            for (int i = 0; i < starts.size(); i++) out.add(starts.get(i) + teardowns.get(i));
            return out;
        }
    }

    private final Workspace ws;
    private final Path floor;

    NativeBench(Workspace ws) {
        this.ws = ws;
        this.floor = ws.nativeDir.resolve("floor");
    }

    /** The floor: {@code n} starts by {@code c} worker processes, each with a loop device of its own (the seed's job). */
    Series floor(String part, int n, int c) throws IOException, InterruptedException {
        return floor(part, n, c, null);
    }

    /**
     * The floor; with {@code shared} ("clone" or "loop") the shared-mount job: the image mounted once by a
     * holder, each start a clone of that mount (or a mount of the holder's loop device): warm page cache.
     */
    Series floor(String part, int n, int c, String shared) throws IOException, InterruptedException {
        return floor(part, n, c, shared, false, 0);
    }

    /** The seed's floor, one start at a time with a pause of {@code pauseMs} after each (its teardown done): the spaced series. */
    Series floorSpaced(String part, int n, long pauseMs) throws IOException, InterruptedException {
        return floor(part, n, 1, null, false, pauseMs);
    }

    /**
     * The shared-mount floor with Rocker's containment too, all of it on the start's path (floor.c, {@code -k}):
     * records, lock files, private /tmp and /run, a minimal /dev, the /sys masks, the host read-only, cgroups,
     * /proc with the OCI masks, the bounding set dropped and Rocker's default system call filter (as
     * {@code rocker-guard --seccomp-dump} prints it) installed before exec.
     */
    Series floorContained(String part, int n, int c) throws IOException, InterruptedException {
        try {
            return floor(part, n, c, "clone", true, 0);
        } finally {
            sweepFloorCgroups(); // a run's cgroups go at its teardown; these are a failed or killed run's
        }
    }

    /** The cgroups a contained floor left (rocker-floor-PID-I, under each v1 controller or the v2 root). */
    static void sweepFloorCgroups() {
        List<Path> parents = new ArrayList<>(List.of(Path.of("/sys/fs/cgroup")));
        for (String c : List.of("pids", "memory", "cpu")) parents.add(Path.of("/sys/fs/cgroup", c));
        for (Path parent : parents) {
            try (java.util.stream.Stream<Path> s = Files.list(parent)) {
                for (Path d : (Iterable<Path>) s.filter(p -> p.getFileName().toString().startsWith("rocker-floor-"))::iterator) {
                    try {
                        Files.delete(d);
                    } catch (IOException e) {
                        // still busy: reported by the before-stop check
                    }
                }
            } catch (IOException e) {
                // no such hierarchy
            }
        }
    }

    private Series floor(String part, int n, int c, String shared, boolean contained, long pauseMs) throws IOException, InterruptedException {
        Path data = ws.dataRoot(part);
        List<String> cmd = new ArrayList<>(List.of(floor.toString(), "run", "-n", Integer.toString(n), "-c", Integer.toString(c)));
        if (pauseMs > 0) cmd.addAll(List.of("-p", Long.toString(pauseMs)));
        if (shared != null) cmd.addAll(List.of("-s", shared));
        if (contained) cmd.addAll(List.of("-k", defaultFilter().toString(), ws.state("floor-contained").toString()));
        cmd.addAll(List.of("-i", ws.image.toString(), "-e", ws.exec.toString(), "-d", data.toString(),
                "-o", String.join(",", Workspace.OVERLAYS), "-u", Integer.toString(Workspace.UID),
                "-g", Integer.toString(Workspace.GID), "--", ws.exec + "/marker"));
        Series s = run(part, cmd, n);
        if (!Workspace.markerWritten(data.resolve("0"))) {
            throw new BenchException("floor: the app ran but wrote no marker in " + data.resolve("0/upper" + Workspace.MARKER));
        }
        return s;
    }

    /**
     * bubblewrap, as close to the same job as this bwrap can get. bubblewrap before 0.9 has no overlay
     * options and no bwrap can mount a squashfs image, so: the image is loop-mounted once, up front, in
     * a private mount namespace that only the timing loop lives in (never on the host), and each run
     * binds it read-only at the exec dir; the host's / is bound as the root, a per-run writable dir is
     * bound on /var/tmp (where the app writes), a new /proc, new pid, ipc and uts namespaces; the app
     * becomes uid/gid 1000 through setpriv (bwrap's own --uid needs a user namespace, which would make
     * the app root on the host).
     */
    Series bwrap(String part, int n, int c) throws IOException, InterruptedException {
        Path data = ws.dataRoot(part);
        Path mnt = Files.createDirectories(ws.root.resolve("bwrap-image"));
        List<String> cmd = new ArrayList<>(List.of("unshare", "-m", "--propagation", "private", "--", "sh", "-c",
                "mount -o loop,ro,nosuid,nodev -t squashfs \"$1\" \"$2\" || exit 1; shift 2; exec \"$@\"", "sh",
                ws.image.toString(), mnt.toString()));
        cmd.addAll(List.of(floor.toString(), "time", "-n", Integer.toString(n), "-c", Integer.toString(c),
                "-d", data.toString(), "-o", "", "-x", "vartmp", "--",
                "bwrap", "--dev-bind", "/", "/", "--ro-bind", mnt.toString(), ws.exec.toString(),
                "--bind", "{}/vartmp", "/var/tmp", "--proc", "/proc",
                "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--hostname", "bwrap",
                "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--",
                "setpriv", "--reuid=" + Workspace.UID, "--regid=" + Workspace.GID, "--clear-groups", "--no-new-privs",
                ws.exec + "/marker"));
        Series s = run(part, cmd, n);
        Path marker = data.resolve("0/vartmp/" + Path.of(Workspace.MARKER).getFileName());
        if (!Files.exists(marker)) throw new BenchException("bwrap: the app ran but wrote no marker in " + marker);
        return s;
    }

    static final String BWRAP_DOES = "bwrap 0.8 has no --overlay (added in 0.9) and cannot mount squashfs: it binds "
            + "the host / as root, binds the image (loop-mounted once up front in a private mount namespace) "
            + "read-only at the exec dir, binds a per-run dir on /var/tmp, mounts /proc, unshares pid/ipc/uts; "
            + "setpriv makes the app uid/gid 1000. No overlays and no per-run loop device: it does less than Rocker. "
            + "Timed from posix_spawn to waitpid (teardown included)";

    /**
     * unshare(1) with a shell: unshare mount/pid/uts/ipc namespaces, a private /, a new /proc; the shell
     * mounts the five overlays and the image with mount(8) (its own loop device, LOOP_CONFIGURE,
     * auto-clear), then setpriv execs the app as uid/gid 1000. The data dir is prepared by the timing
     * loop as for the floor.
     */
    Series unshare(String part, int n) throws IOException, InterruptedException {
        Path data = ws.dataRoot(part);
        StringBuilder script = new StringBuilder("D=$0; for d in");
        for (String d : Workspace.OVERLAYS) script.append(' ').append(d);
        script.append("; do mount -t overlay overlay -o \"lowerdir=$d,upperdir=$D/upper$d,workdir=$D/work$d\" \"$d\" || exit 1; done; ")
                .append("mount -o loop,ro,nosuid,nodev -t squashfs '").append(ws.image).append("' '").append(ws.exec)
                .append("' || exit 1; exec setpriv --reuid=").append(Workspace.UID).append(" --regid=").append(Workspace.GID)
                .append(" --clear-groups --no-new-privs '").append(ws.exec).append("/marker'");
        List<String> cmd = List.of(floor.toString(), "time", "-n", Integer.toString(n), "-d", data.toString(),
                "-o", String.join(",", Workspace.OVERLAYS), "--",
                "unshare", "-m", "-p", "-f", "-u", "-i", "--propagation", "private", "--mount-proc", "--",
                "sh", "-c", script.toString(), "{}");
        Series s = run(part, cmd, n);
        if (!Workspace.markerWritten(data.resolve("0"))) {
            throw new BenchException("unshare: the app ran but wrote no marker in " + data.resolve("0/upper" + Workspace.MARKER));
        }
        return s;
    }

    static final String UNSHARE_DOES = "unshare -m -p -f -u -i --propagation private --mount-proc, then sh mounts the "
            + "five overlays and the image (mount -o loop: LOOP_CONFIGURE, auto-clear) and execs setpriv -> app as "
            + "uid/gid 1000; timed from posix_spawn to waitpid (teardown included)";

    private Path filter;

    /** Rocker's default system call filter, in the lines the guard prints (made once). */
    private synchronized Path defaultFilter() throws IOException, InterruptedException {
        if (filter == null) {
            Path f = ws.root.resolve("default-filter.txt");
            Proc.Result r = Proc.run(List.of(ws.nativeDir.resolve("rocker-guard").toString(), "--seccomp-dump"), ws.log("seccomp-dump.err"),
                    f, 30, TimeUnit.SECONDS);
            if (r.exit != 0) throw new BenchException("rocker-guard --seccomp-dump failed: " + r.output());
            filter = f;
        }
        return filter;
    }

    private Series run(String part, List<String> cmd, int n) throws IOException, InterruptedException {
        Path out = ws.log(part + ".out");
        Path err = ws.log(part + ".err");
        Proc.Result r = Proc.run(cmd, err, out, 120L + 5L * n, TimeUnit.SECONDS);
        Series s = new Series();
        for (String step : STEPS) s.steps.put(step, new ArrayList<>());
        List<String> fails = new ArrayList<>();
        for (String line : Files.readAllLines(out)) {
            String[] f = line.trim().split("\\s+");
            if (f[0].equals("run")) {
                s.starts.add(Long.parseLong(f[2]));
                s.teardowns.add(Long.parseLong(f[3]));
                for (int k = 0; k < STEPS.length && 4 + k < f.length; k++) {
                    s.steps.get(STEPS[k]).add(Long.parseLong(f[4 + k]));
                }
            } else if (f[0].equals("fail")) {
                fails.add(line);
            }
        }
        s.steps.values().removeIf(List::isEmpty);
        if (r.exit != 0 || !fails.isEmpty() || s.starts.size() != n) {
            throw new BenchException(part + ": " + s.starts.size() + " of " + n + " runs done, exit " + r.exit + " "
                    + fails + ": " + r.output().strip());
        }
        return s;
    }
}
