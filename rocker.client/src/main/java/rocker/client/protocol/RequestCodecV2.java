package rocker.client.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import rocker.api.NetworkMode;
import rocker.api.RockerRequest;
import rocker.api.SharedDir;

/**
 * The version-2 field list of a {@link RockerRequest} (in ENTER and in each INFOS entry). Absent
 * fields take the defaults of {@link RockerRequest#builder()}; decoding checks structure only.
 *
 * <p>{@link #DEVICE}, {@link #SHARED_DIR} and {@link #SECCOMP} (API 1.1) are mandatory tags, without the
 * optional bit: a receiver that does not know them refuses the list ("unknown field tag 13 in request")
 * instead of building, or showing, a rocker without them (for seccomp: with another system call filter
 * than the one asked for). Like every repeated field, devices and shares are written only when the
 * list has elements, and seccomp, like every string, only when it is not null (Rocker's default
 * filter), so a request without them is the same bytes as before.
 *
 * <p>The resource limits {@link #MEMORY_LIMIT}, {@link #PIDS_LIMIT}, {@link #CPUS}, {@link #CPU_WEIGHT}
 * and {@link #LOG_LIMIT} (API 1.1) are mandatory too (a server that skipped one would run the app with
 * looser limits than asked), and, unlike the other ints, are written only when they differ from the
 * defaults of {@link RockerRequest#builder()}, so a request with the default limits is the same bytes
 * as before.
 */
final class RequestCodecV2 {
    static final Field APP_ID = Field.i32(1, "app_id");
    static final Field UID = Field.i32(2, "uid");
    static final Field GID = Field.i32(3, "gid");
    static final Field GROUP = Field.i32(4, "group").repeating();
    static final Field APP_PKG_PATH = Field.str(5, "app_pkg_path");
    static final Field APP_EXEC_DIR = Field.str(6, "app_exec_dir");
    static final Field APP_DATA_DIR = Field.str(7, "app_data_dir");
    static final Field APP_OVERLAY_DIR = Field.str(8, "app_overlay_dir").repeating();
    static final Field HOSTNAME = Field.str(9, "hostname");
    static final Field USERNS = Field.bool(10, "userns");
    static final Field NETWORK = Field.str(11, "network");
    static final Field REMOVE_ON_EXIT = Field.bool(12, "remove_on_exit");
    static final Field DEVICE = Field.str(13, "device").repeating();
    static final Field SHARED_DIR = Field.nested(14, "shared_dir").repeating();
    /** {@link RockerRequest#seccomp()}: "unconfined" or a profile's path; absent is Rocker's default filter. */
    static final Field SECCOMP = Field.str(15, "seccomp");
    /** {@link RockerRequest#memoryLimit()} in bytes; written only when not 0 (no limit). */
    static final Field MEMORY_LIMIT = Field.i64(16, "memory_limit");
    /** {@link RockerRequest#pidsLimit()}; written only when not {@link RockerRequest#DEFAULT_PIDS_LIMIT}. */
    static final Field PIDS_LIMIT = Field.i32(17, "pids_limit");
    /** {@link RockerRequest#cpus()} in milli-CPUs (rounded to the nearest); written only when not 0 (no quota). */
    static final Field CPUS = Field.i64(18, "cpus");
    /** {@link RockerRequest#cpuWeight()}; written only when not 0 (the default). */
    static final Field CPU_WEIGHT = Field.i32(19, "cpu_weight");
    /** {@link RockerRequest#logLimit()} in bytes; written only when not {@link RockerRequest#DEFAULT_LOG_LIMIT}. */
    static final Field LOG_LIMIT = Field.i64(20, "log_limit");
    private static final Field[] FIELDS = {APP_ID, UID, GID, GROUP, APP_PKG_PATH, APP_EXEC_DIR, APP_DATA_DIR,
        APP_OVERLAY_DIR, HOSTNAME, USERNS, NETWORK, REMOVE_ON_EXIT, DEVICE, SHARED_DIR, SECCOMP,
        MEMORY_LIMIT, PIDS_LIMIT, CPUS, CPU_WEIGHT, LOG_LIMIT};

    /** In {@code shared_dir}: the host path, required. */
    static final Field SHARED_PATH = Field.str(1, "path");
    /** In {@code shared_dir}: bound read-only; absent is read-write, as {@code DIR} without {@code :ro}. */
    static final Field SHARED_READ_ONLY = Field.bool(2, "read_only");
    private static final Field[] SHARED_DIR_FIELDS = {SHARED_PATH, SHARED_READ_ONLY};

    private RequestCodecV2() {
    }

    static FieldWriter write(RockerRequest r) {
        FieldWriter w = new FieldWriter().i32(APP_ID, r.appId()).i32(UID, r.uid()).i32(GID, r.gid()).ints(GROUP, r.groups())
                .str(APP_PKG_PATH, r.pkgPath()).str(APP_EXEC_DIR, r.execDir()).str(APP_DATA_DIR, r.dataDir())
                .strs(APP_OVERLAY_DIR, r.overlayDirs()).str(HOSTNAME, r.hostname())
                .bool(USERNS, r.userNamespace()).str(NETWORK, name(r.network()))
                .bool(REMOVE_ON_EXIT, r.removeOnExit()).strs(DEVICE, r.devices());
        for (SharedDir d : r.sharedDirs()) {
            w.nested(SHARED_DIR, new FieldWriter().str(SHARED_PATH, d.path()).bool(SHARED_READ_ONLY, d.isReadOnly()));
        }
        w.str(SECCOMP, r.seccomp());
        if (r.memoryLimit() != 0) {
            w.i64(MEMORY_LIMIT, r.memoryLimit());
        }
        if (r.pidsLimit() != RockerRequest.DEFAULT_PIDS_LIMIT) {
            w.i32(PIDS_LIMIT, r.pidsLimit());
        }
        if (r.cpus() != 0) {
            w.i64(CPUS, milliCpus(r.cpus()));
        }
        if (r.cpuWeight() != 0) {
            w.i32(CPU_WEIGHT, r.cpuWeight());
        }
        if (r.logLimit() != RockerRequest.DEFAULT_LOG_LIMIT) {
            w.i64(LOG_LIMIT, r.logLimit());
        }
        return w;
    }

    /**
     * CPUs as whole milli-CPUs, rounded to the nearest (0.5 is 500); what validation accepts (0 or 0.01 to
     * 4096) is 0 or 10 to 4096000. A value other than 0 is never written as 0 (no quota): NaN becomes -1,
     * and a value that would round to 0 becomes 1 or -1 (which validation refuses, as it refused the value).
     */
    static long milliCpus(double cpus) {
        if (Double.isNaN(cpus)) {
            return -1;
        }
        long m = Math.round(cpus * 1000);
        return m != 0 || cpus == 0 ? m : (cpus > 0 ? 1 : -1);
    }

    /** Reads the request nested in field {@code at} of {@code parent}. */
    static RockerRequest read(FieldReader parent, Field at) throws ProtocolException {
        FieldReader r = parent.nested(at, FIELDS);
        return RockerRequest.builder().appId(r.i32(APP_ID, 0)).uid(r.i32(UID, 0)).gid(r.i32(GID, 0))
                .groups(r.ints(GROUP)).pkgPath(r.str(APP_PKG_PATH)).execDir(r.str(APP_EXEC_DIR))
                .dataDir(r.str(APP_DATA_DIR)).overlayDirs(r.strs(APP_OVERLAY_DIR)).hostname(r.str(HOSTNAME))
                .userNamespace(r.bool(USERNS, false)).network(network(r))
                .removeOnExit(r.bool(REMOVE_ON_EXIT, false)).devices(r.strs(DEVICE)).sharedDirs(sharedDirs(r))
                .seccomp(r.str(SECCOMP)).memoryLimit(r.i64(MEMORY_LIMIT, 0))
                .pidsLimit(r.i32(PIDS_LIMIT, RockerRequest.DEFAULT_PIDS_LIMIT)).cpus(r.i64(CPUS, 0) / 1000.0)
                .cpuWeight(r.i32(CPU_WEIGHT, 0)).logLimit(r.i64(LOG_LIMIT, RockerRequest.DEFAULT_LOG_LIMIT)).build();
    }

    /** The repeated {@code shared_dir}, in order; each needs its path. */
    private static List<SharedDir> sharedDirs(FieldReader request) throws ProtocolException {
        List<SharedDir> dirs = new ArrayList<>();
        for (FieldReader d : request.nestedAll(SHARED_DIR, SHARED_DIR_FIELDS)) {
            String path = d.require(SHARED_PATH).str(SHARED_PATH);
            dirs.add(d.bool(SHARED_READ_ONLY, false) ? SharedDir.readOnly(path) : SharedDir.readWrite(path));
        }
        return dirs;
    }

    private static NetworkMode network(FieldReader r) throws ProtocolException {
        String s = r.str(NETWORK);
        if (s == null) {
            return NetworkMode.HOST;
        }
        for (NetworkMode m : NetworkMode.values()) {
            if (name(m).equals(s)) {
                return m;
            }
        }
        throw new ProtocolException(r.label(NETWORK) + ": unknown mode " + FieldReader.quoted(s) + " (host or none)");
    }

    private static String name(NetworkMode m) {
        return m.name().toLowerCase(Locale.ROOT);
    }
}
