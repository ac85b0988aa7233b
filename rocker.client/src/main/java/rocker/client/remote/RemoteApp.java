package rocker.client.remote;

import java.io.FileDescriptor;
import java.io.FileOutputStream;

import rocker.api.RockerApp;
import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.api.Stdio;
import rocker.client.protocol.AppSpec;
import rocker.client.protocol.StdioSpec;

/**
 * A {@link RockerApp} made ready for the wire: its {@link AppSpec}, and where streamed output goes on
 * this side. {@code INHERIT} for stdout/stderr becomes a stream into this process's own fd 1/2;
 * stdin can only be discarded, a host file or the log, since nothing is sent to the app.
 *
 * @param spec what the server gets
 * @param out where streamed stdout goes, or null
 * @param err where streamed stderr goes, or null
 */
public record RemoteApp(AppSpec spec, StreamReceiver.Sink out, StreamReceiver.Sink err) {

    /** @throws RockerException ({@code param_invalid}) for stdio that cannot go over a socket */
    public static RemoteApp of(RockerApp app) {
        StdioSpec in = spec(app.stdin());
        if (in.kind() == StdioSpec.Kind.STREAM) {
            throw new RockerException(RockerError.PARAM_INVALID,
                    "stdin '" + app.stdin() + "': only DISCARD, FILE or LOG can be used over the socket");
        }
        AppSpec spec = new AppSpec(app.command(), app.environment(), app.workDir(), in,
                spec(app.stdout()), spec(app.stderr()));
        return new RemoteApp(spec, sink(app.stdout(), FileDescriptor.out), sink(app.stderr(), FileDescriptor.err));
    }

    private static StdioSpec spec(Stdio s) {
        switch (s.kind()) {
            case LOG: return StdioSpec.LOG;
            case FILE: return StdioSpec.file(s.path());
            case INHERIT:
            case STREAM: return StdioSpec.STREAM;
            default: return StdioSpec.DISCARD;
        }
    }

    private static StreamReceiver.Sink sink(Stdio s, FileDescriptor own) {
        switch (s.kind()) {
            case STREAM: return new StreamReceiver.Sink(s.stream(), true);
            case INHERIT: return new StreamReceiver.Sink(new FileOutputStream(own), false);
            default: return null;
        }
    }
}
