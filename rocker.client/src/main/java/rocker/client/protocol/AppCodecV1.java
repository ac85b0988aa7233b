package rocker.client.protocol;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The version-1 form of an {@link AppSpec} and its {@link StdioSpec}s; stdio kinds are ordinals. */
final class AppCodecV1 {
    private AppCodecV1() {
    }

    static void write(WireWriter w, AppSpec app) {
        w.strs(app.command());
        w.i32(app.environment().size());
        app.environment().forEach((k, v) -> w.str(k).str(v));
        w.nullableStr(app.workDir());
        writeStdio(w, app.stdin());
        writeStdio(w, app.stdout());
        writeStdio(w, app.stderr());
    }

    static AppSpec read(WireReader r) throws ProtocolException {
        List<String> command = r.strs("command");
        int n = r.count("environment", 8);
        Map<String, String> env = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            String k = r.str("environment[" + i + "].name");
            String v = r.str("environment[" + i + "].value");
            if (env.put(k, v) != null) {
                throw new ProtocolException("environment: variable '" + k + "' is given twice");
            }
        }
        String workDir = r.nullableStr("work_dir");
        StdioSpec in = readStdio(r, "stdin");
        if (in.kind() == StdioSpec.Kind.STREAM) {
            throw new ProtocolException("stdin: cannot be streamed");
        }
        return new AppSpec(command, env, workDir, in, readStdio(r, "stdout"), readStdio(r, "stderr"));
    }

    /**
     * The stdio kinds' codes on the v1 wire, fixed (docs/protocol.md): never an enum's ordinal, so that
     * reordering {@link StdioSpec.Kind} cannot change the wire.
     */
    static int code(StdioSpec.Kind kind) {
        switch (kind) {
            case DISCARD: return 0;
            case LOG: return 1;
            case FILE: return 2;
            case STREAM: return 3;
            default: throw new IllegalArgumentException("no v1 code for stdio kind " + kind);
        }
    }

    private static void writeStdio(WireWriter w, StdioSpec s) {
        w.u8(code(s.kind()));
        if (s.kind() == StdioSpec.Kind.FILE) {
            w.str(s.path());
        }
    }

    private static StdioSpec readStdio(WireReader r, String field) throws ProtocolException {
        int code = r.u8(field);
        switch (code) {
            case 0: return StdioSpec.DISCARD;
            case 1: return StdioSpec.LOG;
            case 2: return StdioSpec.file(r.str(field + ".path"));
            case 3: return StdioSpec.STREAM;
            default: throw new ProtocolException(field + ": unknown stdio kind " + code);
        }
    }
}
