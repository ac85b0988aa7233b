package rocker.api;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.annotation.versioning.ProviderType;

/**
 * What runs inside a rocker: a command, its environment, working dir and stdio.
 *
 * <p>The C API takes a function pointer ({@code int (*app)(void *)}) that the forked child calls. A
 * JVM must never fork and run Java code in the child, so the Java API takes a <em>command</em>
 * instead: it is {@code execve}d inside all of the rocker's namespaces, as the request's uid/gid,
 * with a clean environment ({@link #DEFAULT_ENVIRONMENT} plus {@link #environment()}) and no file
 * descriptor beyond the three standard ones. The program is looked up in {@code PATH} of that
 * environment when it contains no '/'.
 */
@ProviderType
public final class RockerApp {
    /** The environment every app starts from; {@link #environment()} adds to or replaces it. */
    public static final Map<String, String> DEFAULT_ENVIRONMENT = Map.of(
            "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "LANG", "C.UTF-8",
            "TERM", "dumb");

    private final List<String> command;
    private final Map<String, String> environment;
    private final String workDir;
    private final Stdio stdin;
    private final Stdio stdout;
    private final Stdio stderr;
    /** Whether {@link #validate()} passed (the app is immutable: it stays valid). */
    private volatile boolean valid;

    private RockerApp(Builder b) {
        this.command = Collections.unmodifiableList(new ArrayList<>(b.command));
        this.environment = Collections.unmodifiableMap(new LinkedHashMap<>(b.environment));
        this.workDir = b.workDir;
        this.stdin = b.stdin;
        this.stdout = b.stdout;
        this.stderr = b.stderr;
    }

    /** An app running {@code command} with the default stdio: stdin discarded, output to the data dir's logs. */
    public static RockerApp of(String... command) {
        return builder().command(command).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** {@link #DEFAULT_ENVIRONMENT} in the order of its names, sorted once (every start asks for it). */
    private static final Map<String, String> SORTED_DEFAULTS = java.util.Collections.unmodifiableMap(
            new LinkedHashMap<>(new java.util.TreeMap<>(DEFAULT_ENVIRONMENT)));

    /** argv; argv[0] is the program. */
    public List<String> command() { return command; }
    /** Variables added to {@link #DEFAULT_ENVIRONMENT}. */
    public Map<String, String> environment() { return environment; }
    /** The app's working dir inside the rocker; {@code null} means the exec dir. */
    public String workDir() { return workDir; }
    public Stdio stdin() { return stdin; }
    public Stdio stdout() { return stdout; }
    public Stdio stderr() { return stderr; }

    /** The full environment the app gets: the defaults overlaid with {@link #environment()}. */
    public Map<String, String> effectiveEnvironment() {
        Map<String, String> env = new LinkedHashMap<>(SORTED_DEFAULTS);
        env.putAll(environment);
        return env;
    }

    /** Throws {@link RockerException} ({@code param_invalid}) naming the field that is wrong. */
    public RockerApp validate() {
        if (!valid) {
            RequestRules.check(this);
            valid = true;
        }
        return this;
    }

    @Override
    public String toString() {
        return "RockerApp" + command + " env=" + environment.keySet() + " cwd=" + workDir
                + " stdio=" + stdin + "/" + stdout + "/" + stderr;
    }

    @ProviderType
    public static final class Builder {
        private final List<String> command = new ArrayList<>();
        private final Map<String, String> environment = new LinkedHashMap<>();
        private String workDir;
        private Stdio stdin = Stdio.discard();
        private Stdio stdout = Stdio.log();
        private Stdio stderr = Stdio.log();

        private Builder() {
        }

        public Builder command(List<String> argv) {
            command.clear();
            command.addAll(argv);
            return this;
        }

        public Builder command(String... argv) {
            return command(java.util.Arrays.asList(argv));
        }

        public Builder env(String name, String value) {
            environment.put(name, value);
            return this;
        }

        public Builder environment(Map<String, String> env) {
            environment.clear();
            environment.putAll(env);
            return this;
        }

        public Builder workDir(String dir) { this.workDir = dir; return this; }
        public Builder stdin(Stdio s) { this.stdin = java.util.Objects.requireNonNull(s); return this; }
        public Builder stdout(Stdio s) { this.stdout = java.util.Objects.requireNonNull(s); return this; }
        public Builder stderr(Stdio s) { this.stderr = java.util.Objects.requireNonNull(s); return this; }

        public RockerApp build() {
            return new RockerApp(this);
        }
    }
}
