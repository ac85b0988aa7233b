package rocker.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.OptionalInt;

import rocker.api.RockerInfo;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.api.RockerStats;
import rocker.client.protocol.Deadline;
import rocker.client.protocol.Frame;
import rocker.client.protocol.FrameChannel;
import rocker.client.protocol.Protocol;
import rocker.client.protocol.SocketTransport;
import rocker.client.protocol.ReplyCodec;

/**
 * The training run of the client commands' class-data sharing archive (the build's
 * {@code cnf/target/client/rocker-cli.jsa}, made with {@code -XX:ArchiveClassesAtExit}; docs/launcher.md):
 * every client command once, with its output thrown away, against a stand-in server in this JVM that
 * answers every request with a plausible reply. The archive then holds the classes (and lambda
 * classes) that {@code ./rocker ls|run|kill|...} load, so their JVMs start faster. Not a command of its own.
 */
public final class ClientTraining {
    private static final String NAME = "rkaaaaaaaaaaaaa";
    private static final int PID = 4242;

    private ClientTraining() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("rocker-cds-");
        Path socket = dir.resolve("s.sock");
        try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            listener.bind(UnixDomainSocketAddress.of(socket));
            Thread server = new Thread(() -> serve(listener), "rocker-cds-server");
            server.setDaemon(true);
            server.start();
            String s = socket.toString();
            PrintStream none = new PrintStream(OutputStream.nullOutputStream(), true);
            String[][] commands = {
                {"--help"}, {"ls", "--help"}, {"run", "--help"}, {"kill", "--help"}, {"stats", "--help"},
                {"guardname", "--help"}, {"pack", "--help"}, {"ls", "--bogus"},
                {"ls", "--socket", s}, {"ls", "--socket", s, "--json"},
                {"stats", "--socket", s, NAME}, {"stats", "--socket", s, "--json", NAME},
                {"kill", "--socket", s, NAME}, {"kill", "--socket", s, Integer.toString(PID)},
                {"guardname", "1"},
                {"run", "--socket", s, "--pkg", "/nonexistent/app.squashfs", "--exec-dir", "/nonexistent/exec",
                    "--data-dir", "/nonexistent/data", "--", "/bin/true"},
                {"run", "--socket", s, "--pkg", "/nonexistent/app.squashfs", "--exec-dir", "/nonexistent/exec",
                    "--data-dir", "/nonexistent/data", "--json", "--", "/bin/true"},
                {"run", "--socket", s, "--pkg", "/nonexistent/app.squashfs", "--exec-dir", "/nonexistent/exec",
                    "--data-dir", "/nonexistent/data", "--rm", "--wait", "--", "/bin/true"},
                {"ls", "--socket", dir.resolve("none.sock").toString()},
            };
            for (String[] c : commands) {
                Main.run(c, none, none);
            }
        } finally {
            Files.deleteIfExists(socket);
            Files.deleteIfExists(dir);
        }
    }

    /** Answers each connection's request: INFOS for LIST, STATS_REPLY for STATS, RESULT (and for ENTER some output and EXIT) else. */
    private static void serve(ServerSocketChannel listener) {
        while (true) {
            SocketChannel ch;
            try {
                ch = listener.accept();
            } catch (IOException e) {
                return; // closed: the training is over
            }
            try (FrameChannel c = new FrameChannel(new SocketTransport(ch)) /* blocking: the stand-in server has nothing to time out */) {
                Deadline d = Deadline.in(Duration.ofSeconds(10));
                Frame f = c.read(1 << 20, d);
                int version = f.body().getShort(0) & 0xffff;
                RockerResult ok = RockerResult.success(0, PID, NAME, "");
                switch (f.type()) {
                    case Protocol.LIST:
                        RockerRequest r = RockerRequest.builder().appId(1000).uid(1000).gid(1000)
                                .pkgPath("/srv/app.squashfs").execDir("/opt/app").dataDir("/var/lib/app")
                                .overlayDirs(RockerRequest.SEED_OVERLAY_DIRS).build();
                        RockerInfo info = new RockerInfo(NAME, PID, PID + 1, Instant.now().minusSeconds(3725), r,
                                new RockerStats(12L << 20, 20L << 20, 3, 1_500_000_000L, 0));
                        c.write(Protocol.INFOS, ReplyCodec.infos(List.of(info), version), d);
                        break;
                    case Protocol.STATS:
                        c.write(Protocol.STATS_REPLY, ReplyCodec.stats(new RockerStats(12L << 20, 20L << 20, 3, 1_500_000_000L, 0), version), d);
                        break;
                    case Protocol.WAIT:
                        c.write(Protocol.EXIT, ReplyCodec.exit(OptionalInt.of(0), version), d);
                        break;
                    case Protocol.ENTER:
                        c.write(Protocol.RESULT, ReplyCodec.result(ok, version), d);
                        c.write(Protocol.STDOUT, ByteBuffer.wrap(new byte[] {'x', '\n'}), d);
                        c.write(Protocol.EXIT, ReplyCodec.exit(OptionalInt.of(0), version), d);
                        break;
                    default:
                        c.write(Protocol.RESULT, ReplyCodec.result(ok, version), d);
                        break;
                }
            } catch (IOException | RuntimeException e) {
                // the client went away early (a run without --wait): next one
            }
        }
    }
}
