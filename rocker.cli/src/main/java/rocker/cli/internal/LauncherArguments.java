package rocker.cli.internal;

import java.util.Map;

/**
 * The bnd launcher's command line. The launcher ({@code aQute.launcher.Launcher}) registers itself
 * as a service with the property {@value #PROPERTY} (a {@code String[]}) and adds
 * {@code launcher.ready=true} once all bundles are started;
 * before that, its launch properties (e.g. {@code launch.bundles}) are already framework properties.
 */
final class LauncherArguments {
    /** The service property with the command line. */
    static final String PROPERTY = "launcher.arguments";
    /** The filter of the launcher service. */
    static final String FILTER = "(" + PROPERTY + "=*)";
    /**
     * The launcher service once every bundle has started ({@code launcher.ready=true} is added then):
     * a command that ends the JVM must not run while the launcher is still starting bundles.
     */
    static final String READY_FILTER = "(&" + FILTER + "(launcher.ready=true))";

    private LauncherArguments() {
    }

    /** The arguments in the launcher service's properties; empty when absent or not strings. */
    static String[] of(Map<String, Object> properties) {
        Object v = properties.get(PROPERTY);
        if (v instanceof String[]) {
            return ((String[]) v).clone();
        }
        if (v instanceof String) {
            return new String[] {(String) v};
        }
        return new String[0];
    }
}
