package rocker.bench.jmh;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.IgnoreError;
import rocker.impl.linux.sys.Posix;

/**
 * The cost of one trivial libc call through JNR-FFI (as the engine makes all its system calls), against
 * the JVM's own path to a system call (Thread.yield: sched_yield) and pure Java: is the FFI layer a factor in a start that makes a few
 * hundred calls? Run by bench/run.sh in full mode (or --jmh).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class NativeCallBench {
    /** getpid through JNR-FFI, errno saved after each call (JNR's default, as the engine's bindings). */
    public interface LibC {
        int getpid();
    }

    /** The same without saving errno. */
    public interface LibCIgnoreError {
        @IgnoreError
        int getpid();
    }

    private LibC libc;
    private LibCIgnoreError libcIgnoreError;

    @Setup
    public void setup() {
        libc = LibraryLoader.create(LibC.class).failImmediately().load("c");
        libcIgnoreError = LibraryLoader.create(LibCIgnoreError.class).failImmediately().load("c");
    }

    @Benchmark
    public int jnrGetpid() {
        return libc.getpid();
    }

    @Benchmark
    public int jnrGetpidIgnoreError() {
        return libcIgnoreError.getpid();
    }

    /** The engine's own binding and wrapper (rocker.impl.linux.sys.Posix). */
    @Benchmark
    public int engineGeteuid() {
        return Posix.geteuid();
    }

    /** The JVM's own native path to a trivial system call: Thread.yield() is sched_yield(2). */
    @Benchmark
    public void jvmThreadYield() {
        Thread.yield();
    }

    /** Pure Java (the pid is cached by the JDK). */
    @Benchmark
    public long javaProcessHandlePid() {
        return ProcessHandle.current().pid();
    }
}
