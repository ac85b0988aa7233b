package rocker.server;

import java.util.Optional;

import rocker.server.cli.ServeOptions;

/**
 * Whether the server binds its socket: in a plain framework (no bnd launcher) always; under the bnd
 * launcher only once its command line is known, and only when it is empty or {@code serve ...}, whose
 * options then apply. For {@code run}, {@code ls} and the other commands it must not bind: a
 * {@code rocker serve} may already own the socket.
 */
final class ServeDecision {
    private ServeDecision() {
    }

    /**
     * @param underLauncher whether the bnd launcher started this framework
     * @param launcherArgs its command line, or null while its service is not there
     * @return the serve options when the server should bind, else empty
     */
    static Optional<ServeOptions> decide(boolean underLauncher, String[] launcherArgs) {
        if (launcherArgs == null) {
            return underLauncher ? Optional.empty() : Optional.of(ServeOptions.none());
        }
        return ServeOptions.ofCommandLine(launcherArgs);
    }
}
