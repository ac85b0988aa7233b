package rocker.impl.linux.sys;

import java.util.function.LongSupplier;

/**
 * The one EINTR loop of the bindings: a system call is made again while it fails with EINTR. Its
 * result is returned as it is; when it is negative, {@link Native#errno()} is the last call's.
 */
final class Interrupted {
    private Interrupted() {
    }

    static long retry(LongSupplier call) {
        for (;;) {
            long r = call.getAsLong();
            if (r >= 0 || Native.errno() != Errno.EINTR) return r;
        }
    }
}
