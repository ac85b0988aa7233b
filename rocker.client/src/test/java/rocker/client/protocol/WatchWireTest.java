package rocker.client.protocol;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import java.nio.ByteBuffer;
import java.util.HexFormat;

import org.junit.Test;

import rocker.api.RockerError;

/** WATCH and EXITED byte by byte (docs/protocol.md, "Watching apps end"). */
public class WatchWireTest {
    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return a;
    }

    @Test
    public void watchNamesTheRocker() throws Exception {
        byte[] body = hex("0002 0001 00000001 67");
        assertArrayEquals(body, bytes(CallCodec.encode(new Call.Watch("g"))));
        assertEquals(new Call.Watch("g"), CallCodec.decode(new Frame(Protocol.WATCH, ByteBuffer.wrap(body))));
        try {
            CallCodec.decode(new Frame(Protocol.WATCH, ByteBuffer.wrap(hex("0002"))));
            fail();
        } catch (ProtocolException e) {
            assertEquals("guard_name: required", e.getMessage());
        }
        try {
            CallCodec.decode(new Frame(Protocol.WATCH, ByteBuffer.wrap(hex("0001 00000001 67"))));
            fail();
        } catch (ProtocolException e) {
            assertEquals("WATCH: protocol version 1 cannot carry this request (send it in version 2)", e.getMessage());
        }
    }

    @Test
    public void exitedCarriesTheStatusOrTheReason() throws Exception {
        byte[] ended = hex("0001 00000001 67 0002 00000004 00000089");
        assertArrayEquals(ended, bytes(ReplyCodec.exited(AppExit.ended("g", 137))));
        assertEquals(AppExit.ended("g", 137), ReplyCodec.exited(new Frame(Protocol.EXITED, ByteBuffer.wrap(ended))));
        byte[] failed = hex("0001 00000001 67 0003 00000004 00000002 0004 00000002 6e6f");
        assertArrayEquals(failed, bytes(ReplyCodec.exited(AppExit.failed("g", RockerError.PARAM_INVALID, "no"))));
        assertEquals(AppExit.failed("g", RockerError.PARAM_INVALID, "no"), ReplyCodec.exited(new Frame(Protocol.EXITED, ByteBuffer.wrap(failed))));
        for (String bad : new String[] {"0001 00000001 67", "0001 00000001 67 0002 00000004 00000000 0003 00000004 00000002",
                "0001 00000001 67 0003 00000004 00000000"}) {
            try {
                ReplyCodec.exited(new Frame(Protocol.EXITED, ByteBuffer.wrap(hex(bad))));
                fail(bad);
            } catch (ProtocolException e) {
                // neither, both, or "error" 0
            }
        }
    }
}
