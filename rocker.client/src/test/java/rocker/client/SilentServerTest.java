package rocker.client;

import static org.junit.Assert.assertEquals;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import rocker.api.RockerError;
import rocker.api.RockerResult;
import rocker.client.protocol.Call;
import rocker.client.remote.ClientConnection;

/** Servers that misbehave: the client reports recv_resp_failed / send_req_failed, never hangs. */
public class SilentServerTest {
    private Path dir;
    private Path socket;
    private ServerSocketChannel listener;

    @Before
    public void listen() throws IOException {
        dir = Files.createTempDirectory("rocker-silent");
        socket = dir.resolve("s.sock");
        listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        listener.bind(UnixDomainSocketAddress.of(socket));
    }

    @After
    public void close() throws IOException {
        listener.close();
        Files.deleteIfExists(socket);
        Files.deleteIfExists(dir);
    }

    @Test
    public void aServerThatHangsUpGivesRecvRespFailed() throws Exception {
        Thread t = new Thread(() -> {
            try (SocketChannel c = listener.accept()) {
                c.read(java.nio.ByteBuffer.allocate(16));
            } catch (IOException ignored) {
                // test ends
            }
        });
        t.start();
        RockerResult r = new RemoteRockerClient(socket.toString(), Duration.ofSeconds(20)).getGuardName(1);
        t.join();
        assertEquals(r.toString(), RockerError.RECV_RESP_FAILED, r.error());
    }

    @Test
    public void aServerThatNeverAnswersTimesOutWithRecvRespFailed() throws Exception {
        RockerResult r = new RemoteRockerClient(socket.toString(), Duration.ofMillis(300)).getGuardName(1);
        assertEquals(r.toString(), RockerError.RECV_RESP_FAILED, r.error());
    }

    @Test
    public void aConnectionResetBeforeTheRequestGivesSendReqFailed() throws Exception {
        try (ClientConnection conn = ClientConnection.open(socket.toString(), Duration.ofSeconds(5))) {
            listener.close(); // drops the connection still waiting in the backlog
            try {
                conn.call(new Call.GuardName(1), Duration.ofSeconds(5));
            } catch (rocker.api.RockerException e) {
                assertEquals(e.toString(), RockerError.SEND_REQ_FAILED, e.error());
                return;
            }
            throw new AssertionError("the call succeeded");
        }
    }
}
