package rocker.impl.linux.sys;

import jnr.ffi.Pointer;

/** Raw writes, for the few places that write to a pipe. */
public final class NativeIo {
    private NativeIo() {
    }

    public static long write(int fd, Pointer buf, long n) {
        return Interrupted.retry(() -> Native.file().write(fd, buf, n));
    }
}
