package rocker.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import rocker.api.NetworkMode;
import rocker.api.RockerRequest;
import rocker.api.SharedDir;

/** The parsed options of {@code rocker run}. */
final class RunOptions {
    static final String USAGE = String.join("\n",
            "Usage: rocker run [--socket PATH | --local] --pkg FILE --exec-dir DIR --data-dir DIR",
            "                  [--overlay DIR]... [--uid N] [--gid N] [--app-id N] [--hostname NAME]",
            "                  [--userns] [--net host|none] [--device DEV]... [--share DIR[:ro]]...",
            "                  [--seccomp unconfined|FILE] [--memory SIZE] [--pids N] [--cpus N]",
            "                  [--cpu-weight N] [--log-max SIZE] [--rm] [--wait] [--json] -- CMD [ARG...]",
            "",
            "Builds a rocker from the squashfs image FILE and runs CMD in it.",
            "",
            Target.USAGE,
            "  --pkg FILE        the squashfs image (app_pkg_path)",
            "  --exec-dir DIR    where the image is mounted inside the rocker (app_exec_dir)",
            "  --data-dir DIR    where every write of the app lands on the host (app_data_dir)",
            "  --overlay DIR     a top-level dir to overlay, repeatable (default: /usr /var /etc /home /root)",
            "  --uid N, --gid N  the app's uid and gid (default: the caller's)",
            "  --app-id N        the app's id (default 0)",
            "  --hostname NAME   the rocker's hostname (default: the guard's name)",
            "  --userns          run the app as root of a user namespace mapped to uid/gid",
            "  --net host|none   the host's network (default) or only a private loopback",
            "  --device DEV      a host device node for the app's /dev, e.g. /dev/ttyUSB0, repeatable",
            "                    (without root, only devices the caller can open)",
            "  --share DIR[:ro]  a host dir the app may use at the same path, read-write or with :ro",
            "                    read-only, repeatable (without root, only dirs the caller owns)",
            "  --seccomp unconfined|FILE",
            "                    the app's system call filter instead of Rocker's default: none at all,",
            "                    or the seccomp profile FILE (Docker/OCI JSON); root only",
            "  --memory SIZE     the rocker's hard memory limit, e.g. 512M, 1G (default 0: none)",
            "  --pids N          most processes and threads in the rocker (default 1024; 0: no limit,",
            "                    root only, as is more than 1024)",
            "  --cpus N          CPU quota in CPUs, e.g. 0.5 for half a CPU (default 0: none)",
            "  --cpu-weight N    CPU weight against other rockers, 1 to 10000 (default: 100)",
            "  --log-max SIZE    bound of each of log/stdout.log and log/stderr.log, one rotated file",
            "                    kept (default 10M; 0: unbounded, root only)",
            "  --rm              tear the rocker down when the app ends",
            "  --wait            stream the app's output here and exit with its status",
            "  --json            print the result as one JSON object; the app's output goes to the",
            "                    data dir's log files (log/stdout.log, log/stderr.log)",
            "  --help            this text",
            "",
            "SIZE is bytes, or a number with K, M, G or T (powers of 1024).",
            "Without --wait, rocker returns once the app runs; the rocker outlives it.",
            "Exit status: 0, the app's status with --wait, or 125 when Rocker itself fails.");

    Target target = Target.initial();
    String pkg;
    String execDir;
    String dataDir;
    List<String> overlays;
    Integer uid;
    Integer gid;
    int appId;
    String hostname;
    boolean userns;
    NetworkMode network = NetworkMode.HOST;
    final List<String> devices = new ArrayList<>();
    final List<SharedDir> shares = new ArrayList<>();
    /** null: Rocker's default filter. */
    String seccomp;
    long memory;
    int pids = RockerRequest.DEFAULT_PIDS_LIMIT;
    double cpus;
    int cpuWeight;
    long logMax = RockerRequest.DEFAULT_LOG_LIMIT;
    boolean rm;
    boolean waitForApp;
    boolean json;
    List<String> command = List.of();

    /** @return empty when {@code --help} was asked for */
    static Optional<RunOptions> parse(List<String> args, Path cwd) throws UsageException {
        RunOptions o = new RunOptions();
        ArgCursor c = new ArgCursor(args);
        Target[] target = {o.target};
        while (c.hasNext()) {
            String opt = c.option();
            if (opt == null) {
                if ("--".equals(c.peek())) {
                    c.next();
                }
                break;
            }
            if (Target.accept(opt, c, target)) {
                continue;
            }
            switch (opt) {
                case "--pkg": o.pkg = hostPath(cwd, opt, c.value()); break;
                case "--exec-dir": o.execDir = c.value(); break;
                case "--data-dir": o.dataDir = hostPath(cwd, opt, c.value()); break;
                case "--overlay": o.overlay(c.value()); break;
                case "--uid": o.uid = c.number(); break;
                case "--gid": o.gid = c.number(); break;
                case "--app-id": o.appId = c.number(); break;
                case "--hostname": o.hostname = c.value(); break;
                case "--userns": c.flag(); o.userns = true; break;
                case "--net": o.network = network(c.value()); break;
                case "--device": o.devices.add(c.value()); break;
                case "--share": o.shares.add(share(cwd, opt, c.value())); break;
                case "--seccomp": o.seccomp = seccomp(cwd, opt, c.value()); break;
                case "--memory": o.memory = size(opt, c.value()); break;
                case "--pids": o.pids = c.number(); break;
                case "--cpus": o.cpus = cpus(opt, c.value()); break;
                case "--cpu-weight": o.cpuWeight = c.number(); break;
                case "--log-max": o.logMax = size(opt, c.value()); break;
                case "--rm": c.flag(); o.rm = true; break;
                case "--wait": c.flag(); o.waitForApp = true; break;
                case "--json": c.flag(); o.json = true; break;
                case "--help": case "-h": return Optional.empty();
                default: throw c.unknown();
            }
        }
        o.target = target[0].checked(false);
        o.command = new ArrayList<>(c.rest());
        o.required();
        return Optional.of(o);
    }

    RockerRequest request(Identity caller) {
        return RockerRequest.builder().appId(appId)
                .uid(uid != null ? uid : caller.uid()).gid(gid != null ? gid : caller.gid())
                .pkgPath(pkg).execDir(execDir).dataDir(dataDir)
                .overlayDirs(overlays != null ? overlays : RockerRequest.SEED_OVERLAY_DIRS)
                .hostname(hostname).userNamespace(userns).network(network).removeOnExit(rm)
                .devices(devices).sharedDirs(shares).seccomp(seccomp)
                .memoryLimit(memory).pidsLimit(pids).cpus(cpus).cpuWeight(cpuWeight).logLimit(logMax).build();
    }

    private void overlay(String dir) {
        if (overlays == null) {
            overlays = new ArrayList<>();
        }
        overlays.add(dir);
    }

    private void required() throws UsageException {
        if (pkg == null) {
            throw new UsageException("missing --pkg FILE");
        }
        if (execDir == null) {
            throw new UsageException("missing --exec-dir DIR");
        }
        if (dataDir == null) {
            throw new UsageException("missing --data-dir DIR");
        }
        if (command.isEmpty()) {
            throw new UsageException("missing the command: put it after '--', e.g. -- /bin/sh -c 'echo hi'");
        }
    }

    private static NetworkMode network(String v) throws UsageException {
        switch (v) {
            case "host": return NetworkMode.HOST;
            case "none": return NetworkMode.NONE;
            default: throw new UsageException("option --net: '" + v + "' is not host or none");
        }
    }

    /** {@code DIR}, {@code DIR:ro} or {@code DIR:rw} ({@link SharedDir#parse}); DIR is a host path. */
    private static SharedDir share(Path cwd, String option, String v) throws UsageException {
        SharedDir d = SharedDir.parse(v);
        if (d.path().isEmpty() && !v.isEmpty()) {
            throw new UsageException("option " + option + ": '" + v + "' names no dir");
        }
        String path = hostPath(cwd, option, d.path());
        return d.isReadOnly() ? SharedDir.readOnly(path) : SharedDir.readWrite(path);
    }

    private static final java.util.regex.Pattern SIZE = java.util.regex.Pattern.compile("([0-9]+)([KMGT]?)", java.util.regex.Pattern.CASE_INSENSITIVE);
    private static final java.util.regex.Pattern DECIMAL = java.util.regex.Pattern.compile("[0-9]+(\\.[0-9]+)?|\\.[0-9]+");

    /**
     * A size: bytes, or a whole number with {@code K}, {@code M}, {@code G} or {@code T} (powers of
     * 1024, either case), e.g. {@code 64M}; what the request allows is checked by its validation.
     */
    static long size(String option, String v) throws UsageException {
        java.util.regex.Matcher m = SIZE.matcher(v);
        if (m.matches()) {
            int shift = "KMGT".indexOf(m.group(2).toUpperCase(java.util.Locale.ROOT)) * 10 + 10;
            try {
                long n = Long.parseLong(m.group(1));
                if (m.group(2).isEmpty()) {
                    return n;
                }
                if (n <= Long.MAX_VALUE >> shift) {
                    return n << shift;
                }
            } catch (NumberFormatException e) {
                // below
            }
            throw new UsageException("option " + option + ": '" + v + "' is too large");
        }
        throw new UsageException("option " + option + ": '" + v + "' is not a size (bytes, or a number with K, M, G or T, e.g. 64M)");
    }

    /** A decimal number of CPUs, e.g. {@code 0.5} or {@code 2}; the range is checked by the request's validation. */
    static double cpus(String option, String v) throws UsageException {
        if (!DECIMAL.matcher(v).matches()) {
            throw new UsageException("option " + option + ": '" + v + "' is not a number of CPUs such as 0.5 or 2");
        }
        return Double.parseDouble(v);
    }

    /** {@code unconfined}, or a profile FILE: a host path (write {@code ./unconfined} for a file of that name). */
    private static String seccomp(Path cwd, String option, String v) throws UsageException {
        return RockerRequest.SECCOMP_UNCONFINED.equals(v) ? v : hostPath(cwd, option, v);
    }

    /** A host path: relative ones are resolved against the working dir; a trailing '/' is dropped. */
    private static String hostPath(Path cwd, String option, String v) throws UsageException {
        if (v.isEmpty()) {
            throw new UsageException("option " + option + ": the value is empty");
        }
        try {
            return cwd.resolve(v).normalize().toString();
        } catch (RuntimeException e) {
            throw new UsageException("option " + option + ": '" + v + "' is not a path");
        }
    }
}
