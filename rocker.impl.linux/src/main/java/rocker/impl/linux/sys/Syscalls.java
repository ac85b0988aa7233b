package rocker.impl.linux.sys;

import jnr.ffi.types.size_t;

/** libc's syscall(2) with room for six arguments: for calls that libc may not wrap (openat2, statx, raw setgroups). */
public interface Syscalls {
    long syscall(@size_t long number, long a, long b, long c, long d, long e, long f);
}
