package rocker.client.remote;

import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;

import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.api.RockerResult;
import rocker.client.protocol.Deadline;
import rocker.client.protocol.Frame;
import rocker.client.protocol.Protocol;
import rocker.client.protocol.ProtocolException;
import rocker.client.protocol.ReplyCodec;

/**
 * Copies a streamed app's STDOUT/STDERR frames into the caller's streams until EXIT, on its own thread,
 * and then completes {@link #status()} with the app's exit status. A stream the caller gave with
 * {@code Stdio.stream} is closed at the end, as the engine would close it.
 */
public final class StreamReceiver implements Runnable {
    private final ClientConnection connection;
    private final Sink out;
    private final Sink err;
    private final CompletableFuture<Integer> status = new CompletableFuture<>();

    /** Where one stream goes; {@code close} tells whether it is closed at the end. */
    public record Sink(OutputStream stream, boolean close) { }

    public StreamReceiver(ClientConnection connection, Sink out, Sink err) {
        this.connection = connection;
        this.out = out;
        this.err = err;
    }

    /** The app's exit status; completes exceptionally with a {@link RockerException}. */
    public CompletableFuture<Integer> status() {
        return status;
    }

    /** Ends the copying (the rocker keeps running). */
    public void cancel() {
        connection.shutdown();
    }

    @Override
    public void run() {
        boolean outOk = out != null;
        boolean errOk = err != null;
        try {
            while (!status.isDone()) {
                Frame f = connection.next(Deadline.none());
                switch (f.type()) {
                    case Protocol.STDOUT:
                        outOk = outOk && copy(f, out);
                        break;
                    case Protocol.STDERR:
                        errOk = errOk && copy(f, err);
                        break;
                    case Protocol.EXIT:
                        status.complete(ReplyCodec.exit(f, connection.version()).orElse(-1));
                        break;
                    case Protocol.RESULT:
                        status.completeExceptionally(failure(ReplyCodec.result(f)));
                        break;
                    default:
                        throw new RockerException(RockerError.RECV_RESP_FAILED,
                                String.format("unexpected frame type 0x%02x while streaming", f.type() & 0xff));
                }
            }
        } catch (RockerException e) {
            status.completeExceptionally(e);
        } catch (ProtocolException e) {
            status.completeExceptionally(new RockerException(RockerError.RECV_RESP_FAILED, e.getMessage(), e));
        } finally {
            connection.close();
            finish(out);
            finish(err);
        }
    }

    private static RockerException failure(RockerResult r) {
        return r.isSuccess() ? new RockerException(RockerError.RECV_RESP_FAILED, "unexpected RESULT while streaming")
                : new RockerException(r.error(), r.message());
    }

    private static boolean copy(Frame f, Sink sink) {
        try {
            byte[] b = new byte[f.body().remaining()];
            f.body().duplicate().get(b);
            sink.stream().write(b);
            sink.stream().flush();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void finish(Sink sink) {
        if (sink == null) {
            return;
        }
        try {
            if (sink.close()) {
                sink.stream().close();
            } else {
                sink.stream().flush();
            }
        } catch (IOException ignored) {
            // the caller's stream is broken; nothing to do
        }
    }
}
