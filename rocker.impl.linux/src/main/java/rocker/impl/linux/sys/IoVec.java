package rocker.impl.linux.sys;

import jnr.ffi.Runtime;
import jnr.ffi.Struct;

/** {@code struct iovec}. */
public final class IoVec extends Struct {
    public final Struct.Pointer base = new Struct.Pointer();
    public final size_t length = new size_t();

    public IoVec(Runtime runtime) {
        super(runtime);
    }
}
