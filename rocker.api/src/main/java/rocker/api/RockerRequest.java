package rocker.api;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import org.osgi.annotation.versioning.ProviderType;

/**
 * What rocker to build: the seed's {@code RockerRequest}, immutable, made with {@link #builder()}
 * (the counterpart of {@code ROCKER_request_new()}).
 *
 * <p>A request is checked with {@link #validate()} by every {@link RockerClient}; building one does
 * not validate it, so that a server can decode, validate and answer {@link RockerError#PARAM_INVALID}
 * like the engine does. A request is immutable, so one that passed is not checked again: the server
 * validates a request from the socket before it authorizes it, and the engine's check of that very
 * object then costs nothing (one validation on each side of the wire).
 */
@ProviderType
public final class RockerRequest {
    /** At most this many overlay dirs, as in the seed ({@code app_overlay_dirs[16]}). */
    public static final int MAX_OVERLAY_DIRS = 16;
    /** The overlay dirs of the seed's own example. */
    public static final List<String> SEED_OVERLAY_DIRS = List.of("/usr", "/var", "/etc", "/home", "/root");

    private final int appId;
    private final int uid;
    private final int gid;
    private final List<Integer> groups;
    private final String pkgPath;
    private final String execDir;
    private final String dataDir;
    private final List<String> overlayDirs;
    private final String hostname;
    private final boolean userNamespace;
    private final NetworkMode network;
    private final boolean removeOnExit;
    private final List<String> devices;
    private final List<SharedDir> sharedDirs;
    private final String seccomp;
    private final long memoryLimit;
    private final int pidsLimit;
    private final double cpus;
    private final int cpuWeight;
    private final long logLimit;
    /** Whether {@link #validate()} passed (the request is immutable: it stays valid). */
    private volatile boolean valid;

    /** {@link #pidsLimit()} when a request does not say: enough for a JVM or PostgreSQL, not for a fork bomb. */
    public static final int DEFAULT_PIDS_LIMIT = 1024;
    /** {@link #logLimit()} when a request does not say: 10 MiB per log file, one rotated file kept. */
    public static final long DEFAULT_LOG_LIMIT = 10L * 1024 * 1024;

    /** {@link #seccomp()}: no system call filter at all (root clients only). */
    public static final String SECCOMP_UNCONFINED = "unconfined";

    private RockerRequest(Builder b) {
        this.appId = b.appId;
        this.uid = b.uid;
        this.gid = b.gid;
        this.groups = Collections.unmodifiableList(new ArrayList<>(b.groups));
        this.pkgPath = b.pkgPath;
        this.execDir = b.execDir;
        this.dataDir = b.dataDir;
        this.overlayDirs = Collections.unmodifiableList(new ArrayList<>(b.overlayDirs));
        this.hostname = b.hostname;
        this.userNamespace = b.userNamespace;
        this.network = b.network == null ? NetworkMode.HOST : b.network;
        this.removeOnExit = b.removeOnExit;
        this.devices = Collections.unmodifiableList(new ArrayList<>(b.devices));
        this.sharedDirs = Collections.unmodifiableList(new ArrayList<>(b.sharedDirs));
        this.seccomp = b.seccomp;
        this.memoryLimit = b.memoryLimit;
        this.pidsLimit = b.pidsLimit;
        this.cpus = b.cpus;
        this.cpuWeight = b.cpuWeight;
        this.logLimit = b.logLimit;
    }

    /** A blank request: ids 0, no paths, no overlays, host network, no user namespace. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder that starts from this request's values. */
    public Builder toBuilder() {
        return new Builder().appId(appId).uid(uid).gid(gid).groups(groups).pkgPath(pkgPath)
                .execDir(execDir).dataDir(dataDir).overlayDirs(overlayDirs).hostname(hostname)
                .userNamespace(userNamespace).network(network).removeOnExit(removeOnExit).devices(devices).sharedDirs(sharedDirs).seccomp(seccomp)
                .memoryLimit(memoryLimit).pidsLimit(pidsLimit).cpus(cpus).cpuWeight(cpuWeight).logLimit(logLimit);
    }

    /** The app's id ({@code app_id}). */
    public int appId() { return appId; }
    /** The app process's uid, inside the rocker and as seen from the host ({@code uid}). */
    public int uid() { return uid; }
    /** The app process's gid ({@code gid}). */
    public int gid() { return gid; }
    /** Supplementary groups of the app process; empty means none. */
    public List<Integer> groups() { return groups; }
    /** The squashfs image to run ({@code app_pkg_path}). */
    public String pkgPath() { return pkgPath; }
    /** Where the image is mounted, read-only, inside the rocker ({@code app_exec_dir}). */
    public String execDir() { return execDir; }
    /** Where every write of the app lands, on the host ({@code app_data_dir}). */
    public String dataDir() { return dataDir; }
    /** The top-level host dirs that get an overlay ({@code app_overlay_dirs}). */
    public List<String> overlayDirs() { return overlayDirs; }
    /** The rocker's hostname; {@code null} means Rocker's default (the guard's name). */
    public String hostname() { return hostname; }
    /** Whether the app runs as root of a user namespace mapped to uid/gid (the original's mode). */
    public boolean userNamespace() { return userNamespace; }
    /** The network the app sees. */
    public NetworkMode network() { return network; }
    /** Whether the rocker is torn down when its app ends ({@code --rm}); the seed's default is no. */
    public boolean removeOnExit() { return removeOnExit; }
    /**
     * Host device nodes the app gets in its /dev, beside Rocker's minimal set (e.g. {@code /dev/ttyUSB0}
     * appears as {@code /dev/ttyUSB0}). A client that is not root may only name devices it can open.
     *
     * @since 1.1
     */
    public List<String> devices() { return devices; }
    /**
     * Host dirs shared with the app on purpose, at the same path (the rest of the host is read-only
     * inside the rocker, outside its overlays).
     *
     * @since 1.1
     */
    public List<SharedDir> sharedDirs() { return sharedDirs; }
    /**
     * The app's system call filter: {@code null} for Rocker's default (an allowlist after Docker's
     * default profile), {@link #SECCOMP_UNCONFINED} for none, or the absolute path of a profile file
     * (Docker/OCI JSON). Anything but the default needs a root client.
     *
     * @since 1.1
     */
    public String seccomp() { return seccomp; }
    /** Hard memory limit of the whole rocker in bytes ({@code --memory}); 0: none. @since 1.1 */
    public long memoryLimit() { return memoryLimit; }
    /** Most processes and threads of the whole rocker ({@code --pids}); 0: no limit. @since 1.1 */
    public int pidsLimit() { return pidsLimit; }
    /** CPU quota in CPUs ({@code --cpus 0.5}: half a CPU); 0: none. @since 1.1 */
    public double cpus() { return cpus; }
    /** CPU weight against other rockers, 1..10000 ({@code --cpu-weight}); 0: the default (100). @since 1.1 */
    public int cpuWeight() { return cpuWeight; }
    /** Bound of each of log/stdout.log and log/stderr.log in bytes, one rotated file kept; 0: unbounded. @since 1.1 */
    public long logLimit() { return logLimit; }

    /**
     * Checks every field; throws {@link RockerException} with {@link RockerError#PARAM_INVALID} and a
     * message naming the field and the value of the first one that is wrong.
     */
    public RockerRequest validate() {
        if (!valid) {
            RequestRules.check(this);
            valid = true;
        }
        return this;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof RockerRequest)) return false;
        RockerRequest r = (RockerRequest) o;
        return appId == r.appId && uid == r.uid && gid == r.gid && userNamespace == r.userNamespace
                && removeOnExit == r.removeOnExit && groups.equals(r.groups) && devices.equals(r.devices)
                && sharedDirs.equals(r.sharedDirs) && Objects.equals(seccomp, r.seccomp)
                && memoryLimit == r.memoryLimit && pidsLimit == r.pidsLimit && Double.compare(cpus, r.cpus) == 0
                && cpuWeight == r.cpuWeight && logLimit == r.logLimit
                && Objects.equals(pkgPath, r.pkgPath) && Objects.equals(execDir, r.execDir)
                && Objects.equals(dataDir, r.dataDir) && overlayDirs.equals(r.overlayDirs)
                && Objects.equals(hostname, r.hostname) && network == r.network;
    }

    @Override
    public int hashCode() {
        return Objects.hash(appId, uid, gid, groups, pkgPath, execDir, dataDir, overlayDirs, hostname,
                userNamespace, network, removeOnExit, devices, sharedDirs, seccomp, memoryLimit, pidsLimit, cpus, cpuWeight, logLimit);
    }

    @Override
    public String toString() {
        return "RockerRequest[appId=" + appId + ", uid=" + uid + ", gid=" + gid + ", groups=" + groups
                + ", pkg=" + pkgPath + ", execDir=" + execDir + ", dataDir=" + dataDir
                + ", overlays=" + overlayDirs + ", hostname=" + hostname + ", userns=" + userNamespace
                + ", net=" + network + ", rm=" + removeOnExit + (devices.isEmpty() ? "" : ", devices=" + devices)
                + (sharedDirs.isEmpty() ? "" : ", shared=" + sharedDirs) + (seccomp == null ? "" : ", seccomp=" + seccomp)
                + (memoryLimit == 0 ? "" : ", memory=" + memoryLimit) + (pidsLimit == DEFAULT_PIDS_LIMIT ? "" : ", pids=" + pidsLimit)
                + (cpus == 0 ? "" : ", cpus=" + cpus) + (cpuWeight == 0 ? "" : ", cpu_weight=" + cpuWeight)
                + (logLimit == DEFAULT_LOG_LIMIT ? "" : ", log_limit=" + logLimit) + "]";
    }

    /** Builds a {@link RockerRequest}; the counterpart of filling the C struct. */
    @ProviderType
    public static final class Builder {
        private int appId;
        private int uid;
        private int gid;
        private final List<Integer> groups = new ArrayList<>();
        private String pkgPath;
        private String execDir;
        private String dataDir;
        private final List<String> overlayDirs = new ArrayList<>();
        private String hostname;
        private boolean userNamespace;
        private NetworkMode network = NetworkMode.HOST;
        private boolean removeOnExit;
        private final List<String> devices = new ArrayList<>();
        private final List<SharedDir> sharedDirs = new ArrayList<>();
        private String seccomp;
        private long memoryLimit;
        private int pidsLimit = DEFAULT_PIDS_LIMIT;
        private double cpus;
        private int cpuWeight;
        private long logLimit = DEFAULT_LOG_LIMIT;

        private Builder() {
        }

        public Builder appId(int appId) { this.appId = appId; return this; }
        public Builder uid(int uid) { this.uid = uid; return this; }
        public Builder gid(int gid) { this.gid = gid; return this; }

        public Builder groups(List<Integer> groups) {
            this.groups.clear();
            if (groups != null) this.groups.addAll(groups);
            return this;
        }

        public Builder pkgPath(String pkgPath) { this.pkgPath = pkgPath; return this; }
        public Builder execDir(String execDir) { this.execDir = execDir; return this; }
        public Builder dataDir(String dataDir) { this.dataDir = dataDir; return this; }

        public Builder overlayDirs(List<String> dirs) {
            this.overlayDirs.clear();
            if (dirs != null) this.overlayDirs.addAll(dirs);
            return this;
        }

        public Builder overlayDirs(String... dirs) {
            return overlayDirs(java.util.Arrays.asList(dirs));
        }

        public Builder addOverlayDir(String dir) { this.overlayDirs.add(dir); return this; }
        public Builder hostname(String hostname) { this.hostname = hostname; return this; }
        public Builder userNamespace(boolean userNamespace) { this.userNamespace = userNamespace; return this; }
        public Builder network(NetworkMode network) { this.network = network; return this; }
        public Builder removeOnExit(boolean removeOnExit) { this.removeOnExit = removeOnExit; return this; }

        /** Host device nodes for the app's /dev. */
        public Builder devices(List<String> devices) {
            this.devices.clear();
            if (devices != null) this.devices.addAll(devices);
            return this;
        }

        public Builder addDevice(String device) { this.devices.add(device); return this; }

        /** Host dirs shared with the app at the same path. */
        public Builder sharedDirs(List<SharedDir> dirs) {
            this.sharedDirs.clear();
            if (dirs != null) this.sharedDirs.addAll(dirs);
            return this;
        }

        public Builder addSharedDir(SharedDir dir) { this.sharedDirs.add(dir); return this; }

        /** The system call filter: null (the default), {@value RockerRequest#SECCOMP_UNCONFINED}, or a profile file. */
        public Builder seccomp(String seccomp) { this.seccomp = seccomp; return this; }

        public Builder memoryLimit(long bytes) { this.memoryLimit = bytes; return this; }
        public Builder pidsLimit(int pids) { this.pidsLimit = pids; return this; }
        public Builder cpus(double cpus) { this.cpus = cpus; return this; }
        public Builder cpuWeight(int weight) { this.cpuWeight = weight; return this; }
        public Builder logLimit(long bytes) { this.logLimit = bytes; return this; }

        /** The request as given; call {@link RockerRequest#validate()} to check it. */
        public RockerRequest build() {
            return new RockerRequest(this);
        }
    }
}
