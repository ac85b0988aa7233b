package rocker.server;

/** What the server component is doing; {@code rocker serve} watches it to report success or failure. */
public interface ServerStatus {
    /** The server's states. */
    enum State {
        /** Under the bnd launcher, before its command line is known. */
        WAITING,
        /** Bound and accepting. */
        LISTENING,
        /** Deliberately not listening (the command line is another command). */
        NOT_SERVING,
        /** Should listen but could not. */
        FAILED
    }

    State state();

    /** The socket path when listening, else why not. */
    String detail();
}
