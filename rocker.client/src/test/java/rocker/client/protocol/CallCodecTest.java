package rocker.client.protocol;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import org.junit.Test;

import rocker.api.NetworkMode;
import rocker.api.RockerError;
import rocker.api.RockerInfo;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.client.testing.Requests;

/** Version 1 of the protocol: round trips and strictness (version 2: {@link CallCodecV2Test}). */
public class CallCodecTest {
    private static final AppSpec APP = new AppSpec(List.of("/bin/echo", "hé", ""), Map.of("A", "1"), "/opt",
            StdioSpec.DISCARD, StdioSpec.STREAM, StdioSpec.file("/tmp/err.log"));

    private static Call roundTrip(Call call) throws ProtocolException {
        return CallCodec.decode(new Frame(CallCodec.type(call), CallCodec.encode(call, Protocol.V1)));
    }

    @Test
    public void everyCallSurvivesTheWire() throws Exception {
        RockerRequest req = Requests.valid(1000, 1001).groups(List.of(5, 6)).hostname("box")
                .userNamespace(true).network(NetworkMode.NONE).removeOnExit(true).build();
        Call.Enter enter = (Call.Enter) roundTrip(new Call.Enter(req, APP));
        assertEquals(req, enter.request());
        assertEquals(APP, enter.app());
        assertEquals(new Call.GuardName(42), roundTrip(new Call.GuardName(42)));
        assertEquals(new Call.Destroy("g1"), roundTrip(new Call.Destroy("g1")));
        assertEquals(new Call.DestroyPid(7, "g2"), roundTrip(new Call.DestroyPid(7, "g2")));
        assertEquals(new Call.ListRockers(), roundTrip(new Call.ListRockers()));
        assertEquals(new Call.Wait("g3", 1500), roundTrip(new Call.Wait("g3", 1500)));
    }

    @Test
    public void nullFieldsTravelAsNullForTheServerToReject() throws Exception {
        RockerRequest blank = RockerRequest.builder().build();
        Call.Enter e = (Call.Enter) roundTrip(new Call.Enter(blank, APP));
        assertNull(e.request().pkgPath());
        assertEquals(blank, e.request());
    }

    @Test
    public void repliesSurviveTheWire() throws Exception {
        RockerResult r = RockerResult.of(RockerError.BUILD_ROCKER_FAILED, 1, 2, "g", "no loop device");
        assertEquals(r, ReplyCodec.result(new Frame(Protocol.RESULT, ReplyCodec.result(r))));
        assertEquals(r, ReplyCodec.result(new Frame(Protocol.RESULT, ReplyCodec.result(r, 1))));
        RockerInfo info = new RockerInfo("g", 3, 4, Instant.ofEpochSecond(1700000000, 123), Requests.valid(1, 2).build());
        assertEquals(List.of(info), ReplyCodec.infos(new Frame(Protocol.INFOS, ReplyCodec.infos(List.of(info), 1)), 1));
        assertEquals(OptionalInt.of(137), ReplyCodec.exit(new Frame(Protocol.EXIT, ReplyCodec.exit(OptionalInt.of(137), 1)), 1));
        assertEquals(OptionalInt.empty(), ReplyCodec.exit(new Frame(Protocol.EXIT, ReplyCodec.exit(OptionalInt.empty(), 1)), 1));
    }

    @Test
    public void anErrorResultWhereAListWasExpectedIsReported() {
        RockerResult r = RockerResult.failure(RockerError.SYS, "permission denied: x");
        try {
            ReplyCodec.infos(new Frame(Protocol.RESULT, ReplyCodec.result(r)), 1);
            fail();
        } catch (ErrorReplyException e) {
            assertEquals(r, e.result());
        } catch (ProtocolException e) {
            fail(e.toString());
        }
    }

    @Test
    public void rejectsAnotherVersion() {
        assertRejected(new Frame(Protocol.LIST, new WireWriter().u16(3).toBuffer()),
                "protocol version 3 is not supported (this side speaks 1 and 2)");
        assertRejected(new Frame(Protocol.LIST, new WireWriter().u16(0).toBuffer()), "protocol version 0 is not supported");
    }

    @Test
    public void rejectsUnknownTypesTrailingBytesAndShortFrames() {
        assertRejected(new Frame((byte) 0x7f, new WireWriter().u16(1).toBuffer()), "unknown request type 0x7f");
        assertRejected(new Frame(Protocol.LIST, new WireWriter().u16(1).u8(0).toBuffer()), "1 unexpected bytes");
        assertRejected(new Frame(Protocol.GUARD_NAME, new WireWriter().u16(1).u8(0).toBuffer()), "pid: frame ends early");
        assertRejected(new Frame(Protocol.GUARD_NAME, ByteBuffer.allocate(0)), "version: frame ends early");
    }

    @Test
    public void rejectsBadValues() {
        assertRejected(new Frame(Protocol.DESTROY, new WireWriter().u16(1).i32(2).bytes(new byte[] {(byte) 0xc3, 0x28}, 0, 2).toBuffer()),
                "guard_name: not valid UTF-8");
        assertRejected(new Frame(Protocol.DESTROY, new WireWriter().u16(1).i32(-5).toBuffer()), "negative string length");
        assertRejected(new Frame(Protocol.DESTROY, new WireWriter().u16(1).i32(Integer.MAX_VALUE).toBuffer()), "frame ends early");
        assertRejected(new Frame(Protocol.WAIT, new WireWriter().u16(1).str("g").i64(-1).toBuffer()), "timeout_ms");
        // a count far beyond the frame must not allocate
        ByteBuffer hugeCount = new WireWriter().u16(1).i32(0).i32(0).i32(0).i32(Integer.MAX_VALUE).toBuffer();
        assertRejected(new Frame(Protocol.ENTER, hugeCount), "groups: count 2147483647 does not fit");
        // booleans are 0 or 1
        WireWriter w = new WireWriter().u16(1);
        w.i32(0).i32(0).i32(0).ints(List.of()).nullableStr(null).nullableStr(null).nullableStr(null)
                .strs(List.of()).nullableStr(null).u8(2);
        assertRejected(new Frame(Protocol.ENTER, w.toBuffer()), "userns: boolean must be 0 or 1");
    }

    @Test
    public void rejectsStreamedStdinAndDuplicateVariables() {
        WireWriter w = enterPrefix().strs(List.of("/bin/true")).i32(2).str("A").str("1").str("A").str("2");
        assertRejected(new Frame(Protocol.ENTER, w.toBuffer()), "variable 'A' is given twice");
        WireWriter s = enterPrefix().strs(List.of("/bin/true")).i32(0).nullableStr(null).u8(StdioSpec.Kind.STREAM.ordinal());
        assertRejected(new Frame(Protocol.ENTER, s.toBuffer()), "stdin: cannot be streamed");
        WireWriter k = enterPrefix().strs(List.of("/bin/true")).i32(0).nullableStr(null).u8(9);
        assertRejected(new Frame(Protocol.ENTER, k.toBuffer()), "stdin: unknown stdio kind 9");
    }

    private static WireWriter enterPrefix() {
        WireWriter w = new WireWriter().u16(1);
        RequestCodecV1.write(w, Requests.valid(1, 1).build());
        return w;
    }

    private static void assertRejected(Frame f, String expected) {
        try {
            CallCodec.decode(f);
            fail("accepted a bad frame; expected: " + expected);
        } catch (ProtocolException e) {
            assertTrue(e.getMessage() + " should contain " + expected, e.getMessage().contains(expected));
        }
    }
}
