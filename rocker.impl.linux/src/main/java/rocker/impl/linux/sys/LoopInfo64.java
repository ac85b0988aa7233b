package rocker.impl.linux.sys;

import jnr.ffi.Runtime;
import jnr.ffi.Struct;

/** {@code struct loop_info64} (linux/loop.h), the argument of {@code LOOP_SET_STATUS64}. */
public final class LoopInfo64 extends Struct {
    public final Unsigned64 device = new Unsigned64();
    public final Unsigned64 inode = new Unsigned64();
    public final Unsigned64 rdevice = new Unsigned64();
    public final Unsigned64 offset = new Unsigned64();
    public final Unsigned64 sizeLimit = new Unsigned64();
    public final Unsigned32 number = new Unsigned32();
    public final Unsigned32 encryptType = new Unsigned32();
    public final Unsigned32 encryptKeySize = new Unsigned32();
    public final Unsigned32 flags = new Unsigned32();
    public final UTF8String fileName = new UTF8String(64);
    public final UTF8String cryptName = new UTF8String(64);
    public final Unsigned8[] encryptKey = array(new Unsigned8[32]);
    public final Unsigned64[] init = array(new Unsigned64[2]);

    public LoopInfo64(Runtime runtime) {
        super(runtime);
    }
}
