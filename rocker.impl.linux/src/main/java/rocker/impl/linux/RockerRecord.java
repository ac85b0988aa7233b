package rocker.impl.linux;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

import rocker.api.NetworkMode;
import rocker.api.RockerInfo;
import rocker.api.RockerRequest;

/**
 * What the engine remembers of a rocker, written ahead of each step (docs/engine.md, "Crash
 * consistency"): its state, the engine that owns it while it is not running yet, the guard's pid,
 * name and start time (a reused pid has another start time), its keeper, the request.
 */
final class RockerRecord {
    /** Where a rocker is in its life; only a running one is listed. */
    enum State {
        /** A spare guard started ahead of need (its pids are 0 until it is spawned). */
        SPARE,
        /** Claimed by a request: mounts, limits and the app are being set up. */
        BUILDING,
        /** The app was started and the client told. */
        RUNNING,
        /** Its caller's own process runs in it (ROCKER_enter_rocker): the app is the caller's child. */
        ENTERED,
        /**
         * Not a rocker: the holder of an image's shared mount (docs/engine.md, "Shared image mounts"), its
         * request naming the image (pkgPath), {@link #image} its identity. Never listed nor adopted as a rocker.
         */
        HOLDER;

        /** A rocker that runs: listed, adopted by a new engine. */
        boolean runs() {
            return this == RUNNING || this == ENTERED;
        }
    }

    /** This JVM, as the owner of the records it is setting up. */
    static final int SELF_PID = (int) ProcessHandle.current().pid();
    static final long SELF_START = ProcStat.read(SELF_PID).map(s -> s.startTime).orElse(0L);
    /** The engines alive in this JVM (an engine closed mid-build leaves records another engine here must tear down). */
    static final java.util.Set<Long> LIVE_ENGINES = java.util.concurrent.ConcurrentHashMap.newKeySet();

    final State state;
    final int ownerPid;
    final long ownerStart;
    /** The owning engine within its JVM. */
    final long ownerEngine;
    final String name;
    final int guardPid;
    final long guardStart;
    final int keeperPid;
    final int appPid;
    final Instant created;
    final RockerRequest request;
    /** The identity ({@link ImageKey}) of the image whose shared mount this rocker uses, or holds; null: none. */
    final String image;

    RockerRecord(String name, int guardPid, long guardStart, int keeperPid, int appPid, Instant created,
            RockerRequest request) {
        this(State.RUNNING, SELF_PID, SELF_START, 0, name, guardPid, guardStart, keeperPid, appPid, created, request);
    }

    RockerRecord(State state, int ownerPid, long ownerStart, long ownerEngine, String name, int guardPid, long guardStart,
            int keeperPid, int appPid, Instant created, RockerRequest request) {
        this(state, ownerPid, ownerStart, ownerEngine, name, guardPid, guardStart, keeperPid, appPid, created, request, null);
    }

    RockerRecord(State state, int ownerPid, long ownerStart, long ownerEngine, String name, int guardPid, long guardStart,
            int keeperPid, int appPid, Instant created, RockerRequest request, String image) {
        this.state = state;
        this.ownerPid = ownerPid;
        this.ownerStart = ownerStart;
        this.ownerEngine = ownerEngine;
        this.name = name;
        this.guardPid = guardPid;
        this.guardStart = guardStart;
        this.keeperPid = keeperPid;
        this.appPid = appPid;
        this.created = created;
        this.request = request;
        this.image = image;
    }

    /** A rocker of {@code engine} (in this JVM) in {@code state}, not spawned yet. */
    static RockerRecord ahead(State state, long engine, String name, RockerRequest request) {
        return new RockerRecord(state, SELF_PID, SELF_START, engine, name, 0, 0, 0, 0, Instant.now(), request);
    }

    /** This record in {@code newState}, with {@code guard}'s processes. */
    RockerRecord with(State newState, GuardProcess guard, int newAppPid, RockerRequest newRequest) {
        return new RockerRecord(newState, ownerPid, ownerStart, ownerEngine, name, guard.guardPid, guard.guardStart,
                guard.keeperPid, newAppPid, newState.runs() ? Instant.now() : created, newRequest, image);
    }

    /** This record naming the image {@code key} ({@link ImageKey}). */
    RockerRecord withImage(String key) {
        return new RockerRecord(state, ownerPid, ownerStart, ownerEngine, name, guardPid, guardStart, keeperPid, appPid, created,
                request, key);
    }

    /**
     * Whether the guard of this record is alive: same pid and start time (a pid is not reused within one
     * start time tick), and for a running rocker its name too.
     */
    boolean isAlive() {
        if (guardPid <= 0) return false;
        return ProcStat.live(guardPid).map(s -> state.runs() ? s.is(name, guardStart)
                : s.startTime == guardStart).orElse(false);
    }

    /** Whether the engine that set this rocker up is still alive (a running rocker needs none). */
    boolean ownerAlive() {
        if (ownerPid == SELF_PID && ownerStart == SELF_START) return LIVE_ENGINES.contains(ownerEngine);
        return ProcStat.live(ownerPid).map(s -> s.startTime == ownerStart).orElse(false);
    }

    RockerInfo toInfo() {
        return toInfo(null);
    }

    RockerInfo toInfo(rocker.api.RockerStats stats) {
        return new RockerInfo(name, guardPid, appPid, created, request, stats, image);
    }

    Properties toProperties() {
        Properties p = new Properties();
        fields(p::setProperty);
        return p;
    }

    /**
     * Every field of the record, in a fixed order, as key and text (a spare has no package, exec dir or data dir
     * yet; no hostname or image: none). One list for {@link #toProperties} and {@link #toText}, which is on every
     * start's path twice (and a spare's once), so it writes the text directly.
     */
    private void fields(java.util.function.BiConsumer<String, String> out) {
        out.accept("format", "2");
        out.accept("state", state.name());
        out.accept("owner_pid", Integer.toString(ownerPid));
        out.accept("owner_start", Long.toString(ownerStart));
        out.accept("owner_engine", Long.toString(ownerEngine));
        out.accept("guard_name", name);
        out.accept("guard_pid", Integer.toString(guardPid));
        out.accept("guard_start", Long.toString(guardStart));
        out.accept("keeper_pid", Integer.toString(keeperPid));
        out.accept("app_pid", Integer.toString(appPid));
        out.accept("created", Long.toString(created.toEpochMilli()));
        out.accept("app_id", Integer.toString(request.appId()));
        out.accept("uid", Integer.toString(request.uid()));
        out.accept("gid", Integer.toString(request.gid()));
        StringBuilder groups = new StringBuilder();
        for (Integer g : request.groups()) {
            if (groups.length() > 0) groups.append(',');
            groups.append(g.intValue());
        }
        out.accept("groups", groups.toString());
        if (request.pkgPath() != null) out.accept("pkg", request.pkgPath());
        if (request.execDir() != null) out.accept("exec_dir", request.execDir());
        if (request.dataDir() != null) out.accept("data_dir", request.dataDir());
        out.accept("overlays", String.join(":", request.overlayDirs()));
        if (request.hostname() != null) out.accept("hostname", request.hostname());
        out.accept("userns", Boolean.toString(request.userNamespace()));
        out.accept("net", request.network().name());
        out.accept("rm", Boolean.toString(request.removeOnExit()));
        out.accept("memory", Long.toString(request.memoryLimit()));
        out.accept("pids", Integer.toString(request.pidsLimit()));
        out.accept("cpus", Double.toString(request.cpus()));
        out.accept("cpu_weight", Integer.toString(request.cpuWeight()));
        out.accept("log_limit", Long.toString(request.logLimit()));
        if (image != null) out.accept("image", image);
    }

    /**
     * The record as the text of a properties file ({@link Properties#load} reads it), without the date
     * comment {@link Properties#store} writes: every character outside printable ASCII is a {@code \\uXXXX}
     * escape, and so are the characters that mean something to the format.
     */
    String toText() {
        StringBuilder b = new StringBuilder(1024).append("# rocker ").append(name).append('\n');
        fields((k, v) -> {
            escape(b, k, true);
            b.append('=');
            escape(b, v, false);
            b.append('\n');
        });
        return b.toString();
    }

    /** Properties' escapes: a key's blanks, a value's leading blank, the separators, controls and non-ASCII. */
    static void escape(StringBuilder b, String s, boolean key) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case ' ':
                    if (key || i == 0) b.append('\\');
                    b.append(c);
                    break;
                case '\\': b.append("\\\\"); break;
                case '\t': b.append("\\t"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\f': b.append("\\f"); break;
                case '=': case ':': case '#': case '!':
                    b.append('\\').append(c);
                    break;
                default:
                    if (c < 0x20 || c > 0x7e) {
                        b.append("\\u").append(Character.forDigit((c >> 12) & 0xf, 16)).append(Character.forDigit((c >> 8) & 0xf, 16))
                                .append(Character.forDigit((c >> 4) & 0xf, 16)).append(Character.forDigit(c & 0xf, 16));
                    } else {
                        b.append(c);
                    }
            }
        }
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
        String name = p.getProperty("guard_name");
        if (name == null || !GuardNames.looksLikeGuardName(name)) throw new IllegalArgumentException("guard_name '" + name + "'");
        // format 1 (before crash consistency) recorded running rockers only
        return new RockerRecord(State.valueOf(p.getProperty("state", "RUNNING")), Integer.parseInt(p.getProperty("owner_pid", "0")),
                Long.parseLong(p.getProperty("owner_start", "0")), Long.parseLong(p.getProperty("owner_engine", "0")), name, Integer.parseInt(p.getProperty("guard_pid")),
                Long.parseLong(p.getProperty("guard_start")), Integer.parseInt(p.getProperty("keeper_pid", "0")),
                Integer.parseInt(p.getProperty("app_pid", "0")),
                Instant.ofEpochMilli(Long.parseLong(p.getProperty("created"))), request, p.getProperty("image"));
    }
}
