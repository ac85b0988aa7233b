package rocker.server.internal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * Everything the socket server is configured with; made with {@link #builder()}.
 *
 * @param socketPath where the socket is bound
 * @param socketMode the socket file's permission bits
 * @param socketGroup the socket file's group (name or number), empty to keep it
 * @param stateDir the server's state dir, created when missing
 * @param maxRequestBytes bound on a request frame
 * @param maxConcurrentRequests connections served at once (streaming ones not counted)
 * @param maxStreams connections streaming an app's output at once
 * @param requestTimeout time a client has to send its whole request
 * @param writeTimeout time a client has to take one response frame
 * @param maxWait bound on one WAIT request
 * @param trustedUids uids that, like root, may ask for any uid/gid
 * @param maxRockersPerUid live rockers an unprivileged uid may have
 * @param maxPidsPerUid the sum of the process limits of an unprivileged uid's live rockers
 * @param trustedRockers guard names of rockers whose apps may use the server
 */
public record ServerSettings(Path socketPath, int socketMode, String socketGroup, Path stateDir,
        int maxRequestBytes, int maxConcurrentRequests, int maxStreams, Duration requestTimeout,
        Duration writeTimeout, Duration maxWait, Set<Integer> trustedUids, int maxRockersPerUid, long maxPidsPerUid,
        Set<String> trustedRockers) {

    public static final String DEFAULT_SOCKET = "/run/rocker/rocker.sock";
    public static final String DEFAULT_STATE_DIR = "/run/rocker";

    public ServerSettings {
        Objects.requireNonNull(socketPath, "socketPath");
        Objects.requireNonNull(stateDir, "stateDir");
        if (socketMode < 0 || socketMode > 0777) {
            throw new IllegalArgumentException("socket mode " + Integer.toOctalString(socketMode) + " is not within 0000..0777");
        }
        positive("max request bytes", maxRequestBytes);
        positive("max concurrent requests", maxConcurrentRequests);
        positive("max streams", maxStreams);
        trustedUids = Set.copyOf(trustedUids);
        positive("max rockers per uid", maxRockersPerUid);
        if (maxPidsPerUid <= 0) throw new IllegalArgumentException("max pids per uid must be positive, not " + maxPidsPerUid);
        trustedRockers = Set.copyOf(trustedRockers);
        socketGroup = socketGroup == null ? "" : socketGroup.trim();
    }

    public static Builder builder() {
        return new Builder();
    }

    private static void positive(String what, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(what + " must be positive, not " + v);
        }
    }

    /** Builds {@link ServerSettings}, starting from the defaults of the configuration. */
    public static final class Builder {
        private Path socketPath = Path.of(DEFAULT_SOCKET);
        private int socketMode = 0666;
        private String socketGroup = "";
        private Path stateDir = Path.of(DEFAULT_STATE_DIR);
        private int maxRequestBytes = 512 * 1024;
        private int maxConcurrentRequests = 32;
        private int maxStreams = 32;
        private Duration requestTimeout = Duration.ofSeconds(10);
        private Duration writeTimeout = Duration.ofSeconds(30);
        private Duration maxWait = Duration.ofSeconds(30);
        private Set<Integer> trustedUids = Set.of();
        private int maxRockersPerUid = 32;
        private long maxPidsPerUid = 4096;
        private Set<String> trustedRockers = Set.of();

        public Builder socketPath(Path p) { socketPath = p; return this; }
        public Builder socketMode(int m) { socketMode = m; return this; }
        public Builder socketGroup(String g) { socketGroup = g; return this; }
        public Builder stateDir(Path p) { stateDir = p; return this; }
        public Builder maxRequestBytes(int n) { maxRequestBytes = n; return this; }
        public Builder maxConcurrentRequests(int n) { maxConcurrentRequests = n; return this; }
        public Builder maxStreams(int n) { maxStreams = n; return this; }
        public Builder requestTimeout(Duration d) { requestTimeout = d; return this; }
        public Builder writeTimeout(Duration d) { writeTimeout = d; return this; }
        public Builder maxWait(Duration d) { maxWait = d; return this; }
        public Builder trustedUids(Set<Integer> uids) { trustedUids = uids; return this; }
        public Builder maxRockersPerUid(int n) { maxRockersPerUid = n; return this; }
        public Builder maxPidsPerUid(long n) { maxPidsPerUid = n; return this; }
        public Builder trustedRockers(Set<String> names) { trustedRockers = names; return this; }

        public ServerSettings build() {
            return new ServerSettings(socketPath, socketMode, socketGroup, stateDir, maxRequestBytes,
                    maxConcurrentRequests, maxStreams, requestTimeout, writeTimeout, maxWait, trustedUids, maxRockersPerUid, maxPidsPerUid, trustedRockers);
        }
    }
}
