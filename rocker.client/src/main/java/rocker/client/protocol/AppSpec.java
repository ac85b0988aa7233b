package rocker.client.protocol;

import java.io.OutputStream;
import java.util.List;
import java.util.Map;

import org.osgi.annotation.versioning.ProviderType;
import rocker.api.RockerApp;
import rocker.api.Stdio;

/**
 * A {@link RockerApp} as it travels on the wire: the command, environment and working dir, and a
 * {@link StdioSpec} for each standard stream instead of a {@link Stdio}.
 *
 * @param command argv
 * @param environment variables added to the default environment
 * @param workDir the working dir or {@code null}
 * @param stdin where stdin comes from (never {@link StdioSpec.Kind#STREAM})
 * @param stdout where stdout goes
 * @param stderr where stderr goes
 */
@ProviderType
public record AppSpec(List<String> command, Map<String, String> environment, String workDir,
        StdioSpec stdin, StdioSpec stdout, StdioSpec stderr) {

    /** Whether the server must send stdout or stderr back on the connection. */
    public boolean streams() {
        return stdout.kind() == StdioSpec.Kind.STREAM || stderr.kind() == StdioSpec.Kind.STREAM;
    }

    /**
     * The app to hand to the engine; {@code out} and {@code err} receive the streams of kind
     * {@link StdioSpec.Kind#STREAM} (they may be null when no stream has that kind).
     */
    public RockerApp toApp(OutputStream out, OutputStream err) {
        return RockerApp.builder().command(command).environment(environment).workDir(workDir)
                .stdin(toStdio(stdin, null)).stdout(toStdio(stdout, out)).stderr(toStdio(stderr, err))
                .build();
    }

    private static Stdio toStdio(StdioSpec spec, OutputStream stream) {
        switch (spec.kind()) {
            case LOG: return Stdio.log();
            case FILE: return Stdio.file(spec.path());
            case STREAM: return Stdio.stream(stream);
            default: return Stdio.discard();
        }
    }
}
