package rocker.impl.linux;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.stream.Collectors;

import rocker.api.NetworkMode;
import rocker.api.RockerInfo;
import rocker.api.RockerRequest;

/**
 * What the engine remembers of a live rocker, enough to recognise its guard after a restart: the
 * guard's pid, name and start time (a reused pid has another start time), its keeper, the request.
 */
final class RockerRecord {
    final String name;
    final int guardPid;
    final long guardStart;
    final int keeperPid;
    final int appPid;
    final Instant created;
    final RockerRequest request;

    RockerRecord(String name, int guardPid, long guardStart, int keeperPid, int appPid, Instant created,
            RockerRequest request) {
        this.name = name;
        this.guardPid = guardPid;
        this.guardStart = guardStart;
        this.keeperPid = keeperPid;
        this.appPid = appPid;
        this.created = created;
        this.request = request;
    }

    /** Whether the guard of this record is alive (same pid, name and start time). */
    boolean isAlive() {
        return ProcStat.live(guardPid).map(s -> s.is(name, guardStart)).orElse(false);
    }

    RockerInfo toInfo() {
        return toInfo(null);
    }

    RockerInfo toInfo(rocker.api.RockerStats stats) {
        return new RockerInfo(name, guardPid, appPid, created, request, stats);
    }

    Properties toProperties() {
        Properties p = new Properties();
        p.setProperty("format", "1");
        p.setProperty("guard_name", name);
        p.setProperty("guard_pid", Integer.toString(guardPid));
        p.setProperty("guard_start", Long.toString(guardStart));
        p.setProperty("keeper_pid", Integer.toString(keeperPid));
        p.setProperty("app_pid", Integer.toString(appPid));
        p.setProperty("created", Long.toString(created.toEpochMilli()));
        p.setProperty("app_id", Integer.toString(request.appId()));
        p.setProperty("uid", Integer.toString(request.uid()));
        p.setProperty("gid", Integer.toString(request.gid()));
        p.setProperty("groups", request.groups().stream().map(String::valueOf).collect(Collectors.joining(",")));
        p.setProperty("pkg", request.pkgPath());
        p.setProperty("exec_dir", request.execDir());
        p.setProperty("data_dir", request.dataDir());
        p.setProperty("overlays", String.join(":", request.overlayDirs()));
        if (request.hostname() != null) p.setProperty("hostname", request.hostname());
        p.setProperty("userns", Boolean.toString(request.userNamespace()));
        p.setProperty("net", request.network().name());
        p.setProperty("rm", Boolean.toString(request.removeOnExit()));
        p.setProperty("memory", Long.toString(request.memoryLimit()));
        p.setProperty("pids", Integer.toString(request.pidsLimit()));
        p.setProperty("cpus", Double.toString(request.cpus()));
        p.setProperty("cpu_weight", Integer.toString(request.cpuWeight()));
        p.setProperty("log_limit", Long.toString(request.logLimit()));
        return p;
    }

    static RockerRecord fromProperties(Properties p) {
        List<Integer> groups = new ArrayList<>();
        for (String g : p.getProperty("groups", "").split(",")) {
            if (!g.isEmpty()) groups.add(Integer.parseInt(g));
        }
        String overlays = p.getProperty("overlays", "");
        RockerRequest request = RockerRequest.builder()
                .appId(Integer.parseInt(p.getProperty("app_id")))
                .uid(Integer.parseInt(p.getProperty("uid")))
                .gid(Integer.parseInt(p.getProperty("gid")))
                .groups(groups)
                .pkgPath(p.getProperty("pkg"))
                .execDir(p.getProperty("exec_dir"))
                .dataDir(p.getProperty("data_dir"))
                .overlayDirs(overlays.isEmpty() ? List.of() : Arrays.asList(overlays.split(":")))
                .hostname(p.getProperty("hostname"))
                .userNamespace(Boolean.parseBoolean(p.getProperty("userns")))
                .network(NetworkMode.valueOf(p.getProperty("net", "HOST")))
                .removeOnExit(Boolean.parseBoolean(p.getProperty("rm")))
                .memoryLimit(Long.parseLong(p.getProperty("memory", "0")))
                .pidsLimit(Integer.parseInt(p.getProperty("pids", Integer.toString(RockerRequest.DEFAULT_PIDS_LIMIT))))
                .cpus(Double.parseDouble(p.getProperty("cpus", "0")))
                .cpuWeight(Integer.parseInt(p.getProperty("cpu_weight", "0")))
                .logLimit(Long.parseLong(p.getProperty("log_limit", Long.toString(RockerRequest.DEFAULT_LOG_LIMIT))))
                .build();
        return new RockerRecord(p.getProperty("guard_name"), Integer.parseInt(p.getProperty("guard_pid")),
                Long.parseLong(p.getProperty("guard_start")), Integer.parseInt(p.getProperty("keeper_pid", "0")),
                Integer.parseInt(p.getProperty("app_pid", "0")),
                Instant.ofEpochMilli(Long.parseLong(p.getProperty("created"))), request);
    }
}
