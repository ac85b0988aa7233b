package rocker.api;

import org.osgi.annotation.versioning.ProviderType;

/** The network a rocker's app sees. */
@ProviderType
public enum NetworkMode {
    /** The host's network namespace, as in the seed (default). */
    HOST,
    /** A private network namespace with only the loopback interface up. */
    NONE
}
