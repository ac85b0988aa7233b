package rocker.impl.linux.sys;

/** A failed system call: the operation, what it was applied to, and the errno with its text. */
public final class SysException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String operation;
    private final String target;
    private final int errno;

    public SysException(String operation, String target, int errno) {
        super(operation + (target == null || target.isEmpty() ? "" : " " + target) + ": "
                + Errno.describe(errno));
        this.operation = operation;
        this.target = target;
        this.errno = errno;
    }

    public String operation() { return operation; }
    public String target() { return target; }
    public int errno() { return errno; }
}
