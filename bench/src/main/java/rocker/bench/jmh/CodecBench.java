package rocker.bench.jmh;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import rocker.api.RockerApp;
import rocker.api.RockerRequest;
import rocker.client.protocol.Call;
import rocker.client.protocol.CallCodec;
import rocker.client.protocol.Frame;
import rocker.client.protocol.ProtocolException;
import rocker.client.remote.RemoteApp;

/** The socket protocol's cost per start: encoding and decoding the seed's enter request. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CodecBench {
    private Call.Enter call;
    private ByteBuffer encoded;
    private byte type;

    @Setup
    public void setup() {
        RockerRequest request = RockerRequest.builder().appId(1000).uid(1000).gid(1000)
                .pkgPath("/tmp/your_APP.squashfs").execDir("/var/your_APP/execdir").dataDir("/var/your_APP/datadir")
                .overlayDirs(RockerRequest.SEED_OVERLAY_DIRS).build();
        RockerApp app = RockerApp.builder().command("/var/your_APP/execdir/start.sh", "--port", "8080")
                .env("JAVA_OPTS", "-Xmx64m").build();
        call = new Call.Enter(request, RemoteApp.of(app).spec());
        encoded = CallCodec.encode(call);
        type = CallCodec.type(call);
    }

    @Benchmark
    public ByteBuffer encodeEnter() {
        return CallCodec.encode(call);
    }

    @Benchmark
    public Call decodeEnter() throws ProtocolException {
        return CallCodec.decode(new Frame(type, encoded.duplicate()));
    }
}
