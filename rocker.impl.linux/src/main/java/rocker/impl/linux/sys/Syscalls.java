package rocker.impl.linux.sys;

import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * libc's syscall(2) with room for six arguments: for calls that libc may not wrap (openat2, statx, raw setgroups).
 * Every argument and the result are C {@code long}s: 64 bits on x86-64 and aarch64, 32 on arm, where a Java
 * {@code long} passed as such would take two registers each and shift every argument after it.
 */
@jnr.ffi.annotations.Encoding("UTF-8") // every String as UTF-8 bytes, whatever the JVM's locale (Native)
public interface Syscalls {
    @ssize_t long syscall(@size_t long number, @ssize_t long a, @ssize_t long b, @ssize_t long c, @ssize_t long d, @ssize_t long e,
            @ssize_t long f);
}
