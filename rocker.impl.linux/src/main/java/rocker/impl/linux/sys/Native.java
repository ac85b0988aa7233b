package rocker.impl.linux.sys;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;

/**
 * Loads the libc bindings once per class loader (one per bundle revision). Every binding passes its
 * String arguments as UTF-8 ({@code @Encoding} on each interface), the encoding of the protocol and of
 * the C client: JNR's default is the JVM's charset, which is US-ASCII in a JVM started without a UTF-8
 * locale (a service manager's default), where every other character went to the kernel as '?'. String
 * arrays are not covered by the annotation: {@link Posix#spawn} makes its own.
 */
public final class Native {
    private static volatile Holder holder;

    private Native() {
    }

    private static final class Holder {
        final ProcessCalls process = load(ProcessCalls.class);
        final FileCalls file = load(FileCalls.class);
        final MountCalls mount = load(MountCalls.class);
        final SocketCalls socket = load(SocketCalls.class);
        final Syscalls syscalls = load(Syscalls.class);
        final EventCalls events = load(EventCalls.class);
        final Runtime runtime = Runtime.getRuntime(process);

        private static <T> T load(Class<T> type) {
            return LibraryLoader.create(type).failImmediately().load("c");
        }
    }

    private static Holder holder() {
        Holder h = holder;
        if (h == null) {
            synchronized (Native.class) {
                h = holder;
                if (h == null) {
                    holder = h = new Holder();
                }
            }
        }
        return h;
    }

    static ProcessCalls process() { return holder().process; }
    static FileCalls file() { return holder().file; }
    static MountCalls mount() { return holder().mount; }
    static SocketCalls socket() { return holder().socket; }
    static Syscalls syscalls() { return holder().syscalls; }
    static EventCalls events() { return holder().events; }
    public static Runtime runtime() { return holder().runtime; }

    /** errno of the last call made on this thread; read it right after the call. */
    static int errno() {
        return holder().runtime.getLastError();
    }
}
