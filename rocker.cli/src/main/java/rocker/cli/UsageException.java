package rocker.cli;

/** A wrong command line: unknown option, missing or bad value. The message names the option and value. */
public final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }
}
