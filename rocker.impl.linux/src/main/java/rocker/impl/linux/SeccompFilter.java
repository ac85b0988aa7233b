package rocker.impl.linux;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import rocker.api.RockerError;
import rocker.api.RockerException;

/**
 * The app's system call filter as a BPF program, for an app the engine does not start itself (an entered
 * rocker: the C library installs it). The guard's own compiler makes it ({@code rocker-guard
 * --seccomp-dump FIELDS}), so it is the very filter the guard would install; programs are kept per guard
 * and fields (the default filter is compiled once).
 */
final class SeccompFilter {
    private static final int MAX_CACHED = 64;
    private static final Map<List<String>, byte[]> CACHE = new ConcurrentHashMap<>();

    private SeccompFilter() {
    }

    /**
     * The program for {@code fields} ({@link SeccompProfile#fields(String)}) as the guard at {@code guard}
     * compiles it: 8 bytes an instruction ({@code u16 code, u8 jt, u8 jf, u32 k}, big-endian); null for
     * {@code unconfined}.
     */
    static byte[] compile(String guard, List<String> fields) {
        if (fields.equals(List.of("unconfined"))) return null;
        List<String> key = new ArrayList<>(fields.size() + 1);
        key.add(guard);
        key.addAll(fields);
        byte[] cached = CACHE.get(key);
        if (cached != null) return cached;
        byte[] program = run(guard, fields);
        if (CACHE.size() >= MAX_CACHED) CACHE.clear();
        CACHE.put(key, program);
        return program;
    }

    private static byte[] run(String guard, List<String> fields) {
        List<String> argv = new ArrayList<>();
        argv.add(guard);
        argv.add("--seccomp-dump");
        argv.addAll(fields);
        String out;
        int rc;
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            // read on another thread: the bound holds even for a guard that writes nothing and never ends
            java.util.concurrent.CompletableFuture<byte[]> read = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return p.getInputStream().readAllBytes();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw failed(guard, "did not answer within 10 s");
            }
            try {
                out = new String(read.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                throw failed(guard, "its output cannot be read: " + e);
            }
            rc = p.exitValue();
        } catch (IOException e) {
            throw failed(guard, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failed(guard, "interrupted");
        }
        if (rc == 3 && out.startsWith("unknown ")) {
            String[] f = out.strip().split(" ", 3);
            throw new RockerException(RockerError.PARAM_INVALID, "seccomp: '" + (f.length > 2 ? f[2] : "?")
                    + "' is not a system call Rocker knows");
        }
        if (rc != 0) throw failed(guard, "exit code " + rc + ": " + out.strip());
        ByteBuffer program = ByteBuffer.allocate(out.length()); // more than enough: a line per instruction
        for (String line : out.split("\n")) {
            if (!line.startsWith("bpf ")) continue;
            String[] f = line.split(" ");
            program.putShort((short) Integer.parseInt(f[1])).put((byte) Integer.parseInt(f[2])).put((byte) Integer.parseInt(f[3]))
                    .putInt((int) Long.parseLong(f[4]));
        }
        if (program.position() == 0) throw failed(guard, "it gave no program");
        byte[] bytes = new byte[program.position()];
        program.flip().get(bytes);
        return bytes;
    }

    private static RockerException failed(String guard, String why) {
        return new RockerException(RockerError.BUILD_ROCKER_FAILED, "cannot compile the system call filter with " + guard + ": " + why);
    }
}
