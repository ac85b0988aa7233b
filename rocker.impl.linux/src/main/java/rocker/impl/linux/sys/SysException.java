package rocker.impl.linux.sys;

/** A failed system call: the operation, what it was applied to, and the errno with its text. */
public final class SysException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String operation;
    private final String target;
    private final int errno;

    public SysException(String operation, String target, int errno) {
        this.operation = operation;
        this.target = target;
        this.errno = errno;
    }

    /**
     * "OPERATION TARGET: errno text", made when asked: many of these are expected and handled (a name that
     * does not exist yet), and the errno's text costs a native call.
     */
    @Override
    public String getMessage() {
        return operation + (target == null || target.isEmpty() ? "" : " " + target) + ": " + Errno.describe(errno);
    }

    public String operation() { return operation; }
    public String target() { return target; }
    public int errno() { return errno; }
}
