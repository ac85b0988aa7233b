package rocker.server.internal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.stream.Collectors;

import rocker.server.ServerConfig;

/** Turns the configuration into {@link ServerSettings}. */
final class ServerSettingsFactory {
    private ServerSettingsFactory() {
    }

    /** @throws IllegalArgumentException naming the property that is wrong */
    static ServerSettings of(ServerConfig c) {
        return ServerSettings.builder()
                .socketPath(Path.of(c.socket_path()))
                .stateDir(Path.of(c.state_dir()))
                .socketMode(mode(c.socket_mode()))
                .socketGroup(c.socket_group())
                .maxRequestBytes(c.max_request_bytes())
                .maxConcurrentRequests(c.max_concurrent_requests())
                .maxStreams(c.max_streams())
                .requestTimeout(Duration.ofMillis(c.request_timeout_ms()))
                .writeTimeout(Duration.ofMillis(c.write_timeout_ms()))
                .maxWait(Duration.ofMillis(c.max_wait_ms()))
                .trustedUids(Arrays.stream(c.trusted_uids()).boxed().collect(Collectors.toSet()))
                .maxRockersPerUid(c.max_rockers_per_uid())
                .maxPidsPerUid(c.max_pids_per_uid())
                .trustedRockers(new java.util.HashSet<>(Arrays.asList(c.trusted_rockers())))
                .build();
    }

    static int mode(String octal) {
        try {
            int m = Integer.parseInt(octal.trim(), 8);
            if (m >= 0 && m <= 0777) {
                return m;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("socket.mode '" + octal + "' is not an octal mode from 0000 to 0777");
    }
}
