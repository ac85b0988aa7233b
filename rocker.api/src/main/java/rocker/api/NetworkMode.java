package rocker.api;

/** The network a rocker's app sees. */
public enum NetworkMode {
    /** The host's network namespace, as in the seed (default). */
    HOST,
    /** A private network namespace with only the loopback interface up. */
    NONE
}
