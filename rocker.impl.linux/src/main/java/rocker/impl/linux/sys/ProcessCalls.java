package rocker.impl.linux.sys;

import jnr.ffi.Pointer;
import jnr.ffi.byref.IntByReference;
import jnr.ffi.types.size_t;

/** libc: spawning, waiting for and signalling processes. */
@jnr.ffi.annotations.Encoding("UTF-8") // every String as UTF-8 bytes, whatever the JVM's locale (Native)
public interface ProcessCalls {
    int posix_spawn_file_actions_init(Pointer actions);

    int posix_spawn_file_actions_adddup2(Pointer actions, int fd, int newfd);

    int posix_spawn_file_actions_destroy(Pointer actions);

    /** {@code argv}, {@code envp}: NULL-terminated arrays of C strings ({@link Posix#spawn}: JNR converts a String[] in the JVM's charset). */
    int posix_spawn(IntByReference pid, String path, Pointer actions, Pointer attr, Pointer argv, Pointer envp);

    int waitpid(int pid, IntByReference status, int options);

    /** Arguments and result are C {@code long}s (32 bits on arm: see {@link Syscalls}). */
    @jnr.ffi.types.ssize_t long syscall(@size_t long number, @jnr.ffi.types.ssize_t long a, @jnr.ffi.types.ssize_t long b,
            @jnr.ffi.types.ssize_t long c, @jnr.ffi.types.ssize_t long d);

    int poll(Pointer fds, int nfds, int timeoutMillis);

    String strerror(int errno);

    int geteuid();
}
