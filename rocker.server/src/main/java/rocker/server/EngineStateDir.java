package rocker.server;

import java.io.IOException;
import java.util.Dictionary;
import java.util.Hashtable;

import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Points the engine (configuration PID {@value #ENGINE_PID}, property {@value #PROPERTY}) at the state
 * dir of {@code rocker serve --state-dir}, so that its registry of live rockers lives there too. The
 * launcher's framework storage is new for every process, so this lasts as long as the process.
 */
final class EngineStateDir {
    static final String ENGINE_PID = "rocker.engine";
    static final String PROPERTY = "stateDir";

    private EngineStateDir() {
    }

    static void apply(ConfigurationAdmin cm, String stateDir) throws IOException {
        Configuration c = cm.getConfiguration(ENGINE_PID, "?");
        Dictionary<String, Object> props = c.getProperties() != null ? c.getProperties() : new Hashtable<>();
        if (!stateDir.equals(props.get(PROPERTY))) {
            props.put(PROPERTY, stateDir);
            c.update(props);
        }
    }
}
