package rocker.cli;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import rocker.api.RockerInfo;
import rocker.api.RockerRequest;
import rocker.api.RockerStats;
import rocker.api.SharedDir;

/** {@code rocker ls}: the live rockers, as a table or a JSON array. */
final class ListCommand {
    static final String USAGE = String.join("\n",
            "Usage: rocker ls [--socket PATH | --local] [--json]",
            "",
            "Lists the live rockers: name, guard pid, app id, uptime, memory in use and processes",
            "('-' when the server cannot tell), image (#1, #2, ...: rockers with the same number run the",
            "same image file and share one mount of it; '-' when the server cannot tell), package.",
            "",
            Target.USAGE,
            "  --json            a JSON array of objects (guard_name, guard_pid, app_pid, app_id, uid, gid,",
            "                    created, uptime_s, pkg, image (its identity, when known), exec_dir, data_dir;",
            "                    devices, shared_dirs and",
            "                    seccomp when the rocker has them; memory_limit, pids_limit, cpus,",
            "                    cpu_weight and log_limit when not the default; stats when known:",
            "                    memory, memory_peak, pids, cpu_ns, oom_kills, -1 when unknown)",
            "  --help            this text");
    private static final String ROW = "%-16s %9s %8s %9s %10s %6s %6s  %s";

    private final CliEnvironment env;

    ListCommand(CliEnvironment env) {
        this.env = env;
    }

    int run(List<String> args) throws UsageException {
        Optional<ClientOptions> o = ClientOptions.parse(args, true, null);
        if (o.isEmpty()) {
            env.out().println(USAGE);
            return 0;
        }
        return o.get().target().call(env, client -> list(client.list(), o.get().json()));
    }

    private int list(List<RockerInfo> infos, boolean json) {
        Instant now = env.clock().instant();
        if (json) {
            List<Object> array = new ArrayList<>();
            infos.forEach(i -> array.add(object(i, now)));
            env.out().println(Json.write(array));
        } else {
            env.out().println(String.format(ROW, "NAME", "GUARD_PID", "APP_ID", "UPTIME", "MEMORY", "PIDS", "IMAGE", "PACKAGE"));
            Map<String, Integer> images = new LinkedHashMap<>(); // the images in order of appearance: #1, #2, ...
            for (RockerInfo i : infos) {
                RockerStats s = i.stats();
                String image = i.image() == null ? "-" : "#" + images.computeIfAbsent(i.image(), k -> images.size() + 1);
                env.out().println(String.format(ROW, i.guardName(), i.guardPid(), i.appId(),
                        uptime(Duration.between(i.created(), now)), s == null ? "-" : Figures.bytes(s.memoryBytes()),
                        s == null ? "-" : Figures.count(s.pids()), image, i.request().pkgPath()));
            }
        }
        return 0;
    }

    private static Map<String, Object> object(RockerInfo i, Instant now) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("guard_name", i.guardName());
        m.put("guard_pid", i.guardPid());
        m.put("app_pid", i.appPid());
        m.put("app_id", i.appId());
        m.put("uid", i.request().uid());
        m.put("gid", i.request().gid());
        m.put("created", i.created().toString());
        m.put("uptime_s", Math.max(0, Duration.between(i.created(), now).getSeconds()));
        m.put("pkg", i.request().pkgPath());
        if (i.image() != null) {
            m.put("image", i.image());
        }
        m.put("exec_dir", i.request().execDir());
        m.put("data_dir", i.request().dataDir());
        if (!i.request().devices().isEmpty()) {
            m.put("devices", i.request().devices());
        }
        if (!i.request().sharedDirs().isEmpty()) {
            List<Object> dirs = new ArrayList<>();
            for (SharedDir d : i.request().sharedDirs()) {
                Map<String, Object> dir = new LinkedHashMap<>();
                dir.put("path", d.path());
                dir.put("read_only", d.isReadOnly());
                dirs.add(dir);
            }
            m.put("shared_dirs", dirs);
        }
        if (i.request().seccomp() != null) {
            m.put("seccomp", i.request().seccomp());
        }
        RockerRequest r = i.request();
        if (r.memoryLimit() != 0) {
            m.put("memory_limit", r.memoryLimit());
        }
        if (r.pidsLimit() != RockerRequest.DEFAULT_PIDS_LIMIT) {
            m.put("pids_limit", r.pidsLimit());
        }
        if (r.cpus() != 0) {
            m.put("cpus", r.cpus());
        }
        if (r.cpuWeight() != 0) {
            m.put("cpu_weight", r.cpuWeight());
        }
        if (r.logLimit() != RockerRequest.DEFAULT_LOG_LIMIT) {
            m.put("log_limit", r.logLimit());
        }
        if (i.stats() != null) {
            m.put("stats", Figures.object(i.stats()));
        }
        return m;
    }

    /** 42s, 5m03s, 2h07m, 3d04h. */
    static String uptime(Duration d) {
        long s = Math.max(0, d.getSeconds());
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format("%dm%02ds", s / 60, s % 60);
        }
        if (s < 86400) {
            return String.format("%dh%02dm", s / 3600, s % 3600 / 60);
        }
        return String.format("%dd%02dh", s / 86400, s % 86400 / 3600);
    }
}
