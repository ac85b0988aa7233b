package rocker.impl.linux.sys;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * Per-thread native buffers for system call arguments. Direct memory is only given back when the
 * garbage collector runs, which an idle server rarely does: allocating per call made a server with
 * hundreds of rockers grow by a native buffer per guard message.
 */
final class Scratch {
    static final int DATA = 0;
    static final int CONTROL = 1;
    static final int SMALL = 2;
    static final int PATH = 3;
    static final int STRUCT = 4;
    private static final ThreadLocal<Pointer[]> BUFFERS = ThreadLocal.withInitial(() -> new Pointer[5]);
    private static final ThreadLocal<long[]> SIZES = ThreadLocal.withInitial(() -> new long[5]);

    private Scratch() {
    }

    /** This thread's buffer in {@code slot}, at least {@code size} bytes; valid until its next use. */
    static Pointer get(int slot, long size) {
        Pointer[] buffers = BUFFERS.get();
        long[] sizes = SIZES.get();
        if (buffers[slot] == null || sizes[slot] < size) {
            long capacity = Math.max(256, Long.highestOneBit(Math.max(1, size - 1)) << 1);
            buffers[slot] = Memory.allocateDirect(Native.runtime(), (int) capacity);
            sizes[slot] = capacity;
        }
        return buffers[slot];
    }
}
