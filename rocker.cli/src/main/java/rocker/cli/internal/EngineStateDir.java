package rocker.cli.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;

import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Points the engine (configuration PID {@value #ENGINE_PID}) at the state dir of {@code rocker serve
 * --state-dir} (property {@value #PROPERTY}), so that its registry of live rockers lives there too, and
 * adds the dir of {@code --socket} to the dirs it hides inside every rocker (property {@value #HIDDEN},
 * keeping what is there, by default {@code /run/rocker}). The launcher's framework storage is new for
 * every process, so this lasts as long as the process.
 */
final class EngineStateDir {
    static final String ENGINE_PID = "rocker.engine";
    static final String PROPERTY = "stateDir";
    static final String HIDDEN = "hiddenPaths";
    /** The engine's default of {@value #HIDDEN} (EngineConfig in rocker.impl.linux): the default socket's dir. */
    static final List<String> DEFAULT_HIDDEN = List.of("/run/rocker");

    private EngineStateDir() {
    }

    /** The engine's property for {@code serve --image-grace} (EngineConfig in rocker.impl.linux). */
    static final String IMAGE_GRACE = "imageGraceSeconds";

    /** The engine's property for the guards it starts ahead of need (EngineConfig in rocker.impl.linux). */
    static final String SPARE_GUARDS = "spareGuards";

    /** The engine's property saying that it serves one command (EngineConfig in rocker.impl.linux). */
    static final String ONE_SHOT = "oneShot";

    /**
     * Makes the engine a one-shot command's ({@code --local}): on {@code stateDir} when not null
     * ({@code --state-dir}), and with no spare guard and no spare image holder, which the command would
     * only make to end them again when it stops its engine (or, before it did, leave behind); nor does it look
     * at the image holders every 30 s, as a serving engine does: their grace is the server's.
     */
    static void oneShot(ConfigurationAdmin cm, String stateDir) throws IOException {
        update(cm, stateDir, null, null, 0, true);
    }

    static void apply(ConfigurationAdmin cm, String stateDir) throws IOException {
        apply(cm, stateDir, null, null);
    }

    static void apply(ConfigurationAdmin cm, String stateDir, String socketDir) throws IOException {
        apply(cm, stateDir, socketDir, null);
    }

    /**
     * Sets the engine's state dir (when not null), adds {@code socketDir} (when not null) to its hidden
     * paths and sets its image grace ({@code serve --image-grace}, when not null); updates the
     * configuration only when something changed.
     */
    static void apply(ConfigurationAdmin cm, String stateDir, String socketDir, Integer imageGrace) throws IOException {
        update(cm, stateDir, socketDir, imageGrace, null, false); // a one-shot command's setting, kept in a lasting store, goes
    }

    /**
     * {@link #apply(ConfigurationAdmin, String, String, Integer)}, and the spare guards when not null; {@code oneShot}
     * true sets the one-shot setting, false removes it, null leaves it.
     */
    private static void update(ConfigurationAdmin cm, String stateDir, String socketDir, Integer imageGrace, Integer spareGuards,
            Boolean oneShot) throws IOException {
        Configuration c = cm.getConfiguration(ENGINE_PID, "?");
        Dictionary<String, Object> props = c.getProperties() != null ? c.getProperties() : new Hashtable<>();
        boolean changed = false;
        if (stateDir != null && !stateDir.equals(props.get(PROPERTY))) {
            props.put(PROPERTY, stateDir);
            changed = true;
        }
        if (socketDir != null) {
            List<String> hidden = hiddenPaths(props.get(HIDDEN));
            if (!hidden.contains(socketDir)) {
                hidden.add(socketDir);
                props.put(HIDDEN, hidden.toArray(new String[0]));
                changed = true;
            }
        }
        if (imageGrace != null && !imageGrace.equals(props.get(IMAGE_GRACE))) {
            props.put(IMAGE_GRACE, imageGrace);
            changed = true;
        }
        if (spareGuards != null && !spareGuards.equals(props.get(SPARE_GUARDS))) {
            props.put(SPARE_GUARDS, spareGuards);
            changed = true;
        }
        if (oneShot != null && oneShot != Boolean.TRUE.equals(props.get(ONE_SHOT))) {
            if (oneShot) {
                props.put(ONE_SHOT, Boolean.TRUE);
            } else {
                props.remove(ONE_SHOT);
            }
            changed = true;
        }
        if (changed) {
            c.update(props);
        }
    }

    /** The configured hidden paths (ConfigAdmin may hold a String[], a collection or one String), else the default. */
    private static List<String> hiddenPaths(Object value) {
        List<String> out = new ArrayList<>();
        if (value instanceof String[]) {
            out.addAll(Arrays.asList((String[]) value));
        } else if (value instanceof Collection) {
            ((Collection<?>) value).forEach(v -> out.add(String.valueOf(v)));
        } else if (value != null) {
            out.add(String.valueOf(value));
        } else {
            out.addAll(DEFAULT_HIDDEN);
        }
        return out;
    }
}
