package rocker.server.enter;

import java.nio.file.Path;

import rocker.api.PreparedRocker;
import rocker.client.protocol.Call;
import rocker.client.protocol.CallCodec;
import rocker.client.protocol.Frame;
import rocker.client.protocol.Protocol;
import rocker.client.protocol.ReplyCodec;
import rocker.client.testing.RawClient;
import rocker.client.testing.Requests;

/**
 * Run as an unprivileged user by {@link EnterConversationTest}: sends a PREPARE to the server at args[0]
 * and prints the RESULT's error name, errno and message on one line.
 */
public final class PrepareClientMain {
    private PrepareClientMain() {
    }

    public static void main(String[] args) throws Exception {
        try (RawClient raw = new RawClient(Path.of(args[0]))) {
            Frame f = raw.send(RawClient.frame(Protocol.PREPARE, CallCodec.encode(new Call.Prepare(Requests.valid(0, 0).build())))).read();
            PreparedRocker p = ReplyCodec.prepared(f);
            System.out.println("RESULT " + p.result().error().seedName() + " errno " + ReplyCodec.errno(f) + " " + p.result().message());
        }
    }
}
