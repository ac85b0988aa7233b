package rocker.client.protocol;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.List;

import org.junit.Test;

import rocker.api.PreparedRocker;
import rocker.api.RockerError;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;

/** PREPARE, STARTED and PREPARE's RESULT byte by byte (docs/protocol.md, "Entering a rocker"): what the C library speaks. */
public class EnterWireTest {
    private static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return a;
    }

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    @Test
    public void startedIsTheAppPid() throws Exception {
        Call c = new Call.Started(0x1234);
        assertEquals(Protocol.STARTED, CallCodec.type(c));
        byte[] body = hex("0002 0001 00000004 00001234");
        assertArrayEquals(body, bytes(CallCodec.encode(c)));
        assertEquals(c, CallCodec.decode(new Frame(Protocol.STARTED, ByteBuffer.wrap(body))));
    }

    @Test
    public void prepareCarriesTheRequestAsEnterDoes() throws Exception {
        RockerRequest r = RockerRequest.builder().appId(1).uid(2).gid(3).pkgPath("/p").execDir("/e").dataDir("/d").build();
        byte[] request = RequestCodecV2.write(r).toByteArray();
        ByteBuffer expected = ByteBuffer.allocate(8 + request.length).putShort((short) 2).putShort((short) 1).putInt(request.length).put(request);
        assertArrayEquals(expected.array(), bytes(CallCodec.encode(new Call.Prepare(r))));
        assertEquals(new Call.Prepare(r), CallCodec.decode(new Frame(Protocol.PREPARE, ByteBuffer.wrap(expected.array()))));
        try {
            CallCodec.decode(new Frame(Protocol.PREPARE, ByteBuffer.wrap(hex("0002"))));
            fail("the request is required");
        } catch (ProtocolException e) {
            assertEquals("request: required", e.getMessage());
        }
        try {
            CallCodec.encode(new Call.Prepare(r), 1);
            fail("no PREPARE in version 1");
        } catch (IllegalArgumentException e) {
            assertEquals("PREPARE: protocol version 1 cannot carry this request", e.getMessage());
        }
    }

    @Test
    public void preparedResultCarriesFilterCgroupsAndErrno() throws Exception {
        PreparedRocker ready = PreparedRocker.ready(RockerResult.success(0, 7, "g", "ok"), hex("0006 00 00 7fff0000"), List.of("/c"));
        byte[] expected = hex("0001 00000004 00000000" // err_no 0
                + " 0002 00000004 00000000" // app_pid 0
                + " 0003 00000004 00000007" // guard_pid 7
                + " 0004 00000001 67" // guard_name "g"
                + " 0005 00000002 6f6b" // message "ok"
                + " 8007 00000008 0006 00 00 7fff0000" // seccomp_filter: ret ALLOW
                + " 8008 00000002 2f63"); // cgroup_procs "/c"
        assertArrayEquals(expected, bytes(ReplyCodec.prepared(ready, 0)));
        PreparedRocker back = ReplyCodec.prepared(new Frame(Protocol.RESULT, ByteBuffer.wrap(expected)));
        assertArrayEquals(ready.seccompFilter(), back.seccompFilter());
        assertEquals(List.of("/c"), back.cgroupProcs());
        assertEquals("an older client reads it as a plain RESULT", "g", ReplyCodec.result(new Frame(Protocol.RESULT, ByteBuffer.wrap(expected))).guardName());

        PreparedRocker refused = PreparedRocker.failed(RockerResult.failure(RockerError.ENTER_ROCKER_FAILED, "no"));
        byte[] withErrno = bytes(ReplyCodec.prepared(refused, 1));
        assertTrue(HexFormat.of().formatHex(withErrno).endsWith("8006" + "00000004" + "00000001"));
        assertEquals(1, ReplyCodec.errno(new Frame(Protocol.RESULT, ByteBuffer.wrap(withErrno))));
        PreparedRocker none = ReplyCodec.prepared(new Frame(Protocol.RESULT, ByteBuffer.wrap(withErrno)));
        assertEquals(RockerError.ENTER_ROCKER_FAILED, none.result().error());
        assertNull(none.seccompFilter());
        try {
            ReplyCodec.prepared(new Frame(Protocol.RESULT, ByteBuffer.wrap(hex("0001 00000004 00000000 8007 00000003 000000"))));
            fail("a filter is whole instructions");
        } catch (ProtocolException e) {
            assertEquals("seccomp_filter: a whole number of 8-byte instructions, not 3 bytes", e.getMessage());
        }
    }
}
