package rocker.impl.linux.sys;

import jnr.ffi.Runtime;
import jnr.ffi.Struct;

/** {@code struct loop_config} (linux/loop.h), the argument of {@code LOOP_CONFIGURE}. */
public final class LoopConfig extends Struct {
    public final Unsigned32 fd = new Unsigned32();
    public final Unsigned32 blockSize = new Unsigned32();
    public final LoopInfo64 info = inner(new LoopInfo64(getRuntime()));
    public final Unsigned64[] reserved = array(new Unsigned64[8]);

    public LoopConfig(Runtime runtime) {
        super(runtime);
    }
}
