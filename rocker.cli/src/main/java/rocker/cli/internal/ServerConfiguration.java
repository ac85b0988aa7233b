package rocker.cli.internal;

import java.io.IOException;
import java.util.Dictionary;
import java.util.Hashtable;

import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

import rocker.cli.ServeOptions;
import rocker.server.ServerConfig;

/**
 * Configures the server for {@code rocker serve}: the server component (PID {@value ServerConfig#PID},
 * configuration policy REQUIRE) listens only once that configuration exists. {@code --socket} and
 * {@code --state-dir} go on top of what is configured (properties {@value ServerConfig#SOCKET_PATH} and
 * {@value ServerConfig#STATE_DIR}; with only {@code --state-dir DIR} the socket is {@code DIR/rocker.sock});
 * an existing configuration is updated only when this changes it. Under the launcher ConfigAdmin keeps
 * its configurations in the process's new framework storage, so this lasts as long as the process.
 */
final class ServerConfiguration {
    private ServerConfiguration() {
    }

    static void apply(ConfigurationAdmin cm, ServeOptions options) throws IOException {
        // "?": a multi-location configuration, bound to whichever bundle holds the server
        Configuration c = cm.getConfiguration(ServerConfig.PID, "?");
        Dictionary<String, Object> existing = c.getProperties();
        Dictionary<String, Object> props = existing != null ? existing : new Hashtable<>();
        Object configured = props.get(ServerConfig.SOCKET_PATH);
        String socket = options.socketOr(configured == null ? null : String.valueOf(configured));
        if (socket != null) {
            props.put(ServerConfig.SOCKET_PATH, socket);
        }
        if (options.stateDir() != null) {
            props.put(ServerConfig.STATE_DIR, options.stateDir());
        }
        if (existing == null) {
            c.update(props);
        } else {
            c.updateIfDifferent(props);
        }
    }
}
