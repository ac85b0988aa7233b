package rocker.client.protocol;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The version-2 field lists of an {@link AppSpec} and of its {@link StdioSpec}s. The environment
 * travels as repeated {@code NAME=VALUE} strings; an absent stdio is DISCARD; stdio kinds are
 * lower-case names, never ordinals.
 */
final class AppCodecV2 {
    static final Field ARG = Field.str(1, "arg").repeating();
    static final Field ENV = Field.str(2, "env").repeating();
    static final Field WORK_DIR = Field.str(3, "work_dir");
    static final Field STDIN = Field.nested(4, "stdin");
    static final Field STDOUT = Field.nested(5, "stdout");
    static final Field STDERR = Field.nested(6, "stderr");
    private static final Field[] FIELDS = {ARG, ENV, WORK_DIR, STDIN, STDOUT, STDERR};

    static final Field KIND = Field.str(1, "kind");
    static final Field PATH = Field.str(2, "path");
    private static final Field[] STDIO_FIELDS = {KIND, PATH};

    private AppCodecV2() {
    }

    /** @throws IllegalArgumentException for a variable name with '=', which cannot be written */
    static FieldWriter write(AppSpec app) {
        FieldWriter w = new FieldWriter().strs(ARG, app.command());
        app.environment().forEach((k, v) -> {
            if (k.indexOf('=') >= 0) {
                throw new IllegalArgumentException("environment: variable name " + FieldReader.quoted(k) + " contains '='");
            }
            w.str(ENV, k + "=" + v);
        });
        return w.str(WORK_DIR, app.workDir()).nested(STDIN, stdio(app.stdin()))
                .nested(STDOUT, stdio(app.stdout())).nested(STDERR, stdio(app.stderr()));
    }

    /** Reads the app nested in field {@code at} of {@code parent}. */
    static AppSpec read(FieldReader parent, Field at) throws ProtocolException {
        FieldReader r = parent.nested(at, FIELDS);
        StdioSpec in = stdio(r, STDIN);
        if (in.kind() == StdioSpec.Kind.STREAM) {
            throw new ProtocolException(r.label(STDIN) + ": cannot be streamed");
        }
        return new AppSpec(r.strs(ARG), environment(r), r.str(WORK_DIR), in, stdio(r, STDOUT), stdio(r, STDERR));
    }

    private static Map<String, String> environment(FieldReader r) throws ProtocolException {
        List<String> entries = r.strs(ENV);
        Map<String, String> env = new LinkedHashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            String e = entries.get(i);
            int eq = e.indexOf('=');
            if (eq < 0) {
                throw new ProtocolException(r.label(ENV) + "[" + i + "]: no '=' between name and value");
            }
            if (env.put(e.substring(0, eq), e.substring(eq + 1)) != null) {
                throw new ProtocolException(r.label(ENV) + ": variable " + FieldReader.quoted(e.substring(0, eq))
                        + " is given twice");
            }
        }
        return env;
    }

    private static FieldWriter stdio(StdioSpec s) {
        return new FieldWriter().str(KIND, s.kind().name().toLowerCase(Locale.ROOT)).str(PATH, s.path());
    }

    private static StdioSpec stdio(FieldReader app, Field at) throws ProtocolException {
        if (!app.has(at)) {
            return StdioSpec.DISCARD;
        }
        FieldReader r = app.nested(at, STDIO_FIELDS).require(KIND);
        String name = r.str(KIND);
        String path = r.str(PATH);
        for (StdioSpec.Kind kind : StdioSpec.Kind.values()) {
            if (kind.name().toLowerCase(Locale.ROOT).equals(name)) {
                if (kind == StdioSpec.Kind.FILE && path == null) {
                    throw new ProtocolException(r.label(PATH) + ": required for kind file");
                }
                if (kind != StdioSpec.Kind.FILE && path != null) {
                    throw new ProtocolException(r.label(PATH) + ": only goes with kind file, not " + name);
                }
                return new StdioSpec(kind, path);
            }
        }
        throw new ProtocolException(r.label(KIND) + ": unknown stdio kind " + FieldReader.quoted(name)
                + " (discard, log, file or stream)");
    }
}
