package rocker.impl.linux.sys;

import jnr.ffi.Runtime;
import jnr.ffi.Struct;

/** {@code struct msghdr}. */
public final class MsgHdr extends Struct {
    public final Struct.Pointer name = new Struct.Pointer();
    public final Unsigned32 nameLength = new Unsigned32();
    public final Struct.Pointer iov = new Struct.Pointer();
    public final size_t iovLength = new size_t();
    public final Struct.Pointer control = new Struct.Pointer();
    public final size_t controlLength = new size_t();
    public final Signed32 flags = new Signed32();

    public MsgHdr(Runtime runtime) {
        super(runtime);
    }
}
