package rocker.client.protocol;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static rocker.client.protocol.WireVectorsTest.APP_FIELDS;
import static rocker.client.protocol.WireVectorsTest.BASE_FIELDS;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;

import org.junit.Test;

import rocker.api.RockerInfo;
import rocker.api.RockerRequest;
import rocker.api.RockerStats;
import rocker.client.testing.Hex;

/**
 * API 1.1's resource limits (request tags 16 to 20, mandatory, written only when not the default),
 * the optional {@code stats} of an info (tag 0x8007) and the STATS request and reply (version 2 only):
 * fixed bytes from docs/protocol.md, round trips, and what version 1 does with them.
 */
public class ResourceLimitsWireTest {
    /** WireVectorsTest.REQUEST_SECCOMP without seccomp: 78 bytes of request list. */
    static final RockerRequest BASE = RockerRequest.builder().appId(1).uid(2).gid(3).pkgPath("/p").execDir("/x").dataDir("/d").build();
    public static final RockerRequest LIMITS = BASE.toBuilder().memoryLimit(64L << 20).pidsLimit(100).cpus(0.5).cpuWeight(50)
            .logLimit(1L << 20).build();
    static final Call.Enter ENTER_LIMITS = new Call.Enter(LIMITS, WireVectorsTest.ENTER_1_1.app());

    /** The five limit fields, 62 bytes, mandatory tags (no 0x8000). */
    static final String LIMIT_FIELDS = ""
            + "  0010 00000008 0000000004000000"      //  16 memory_limit 64 MiB
            + "  0011 00000004 00000064"              //  17 pids_limit 100
            + "  0012 00000008 00000000000001f4"      //  18 cpus 500 milli-CPUs (0.5)
            + "  0013 00000004 00000032"              //  19 cpu_weight 50
            + "  0014 00000008 0000000000100000";     //  20 log_limit 1 MiB

    /** ENTER body, version 2, with every limit: the request list is 78 + 62 = 140 bytes. */
    public static final String V2_ENTER_LIMITS = "0002" + "0001 0000008c" + BASE_FIELDS + LIMIT_FIELDS + APP_FIELDS;

    /** The same request with the default limits: no tag 16 to 20, the bytes of before. */
    static final String V2_ENTER_DEFAULTS = "0002" + "0001 0000004e" + BASE_FIELDS + APP_FIELDS;

    public static final RockerStats STATS = new RockerStats(50L << 20, -1, 12, 1_500_000_000L, 2);

    /** The figures, as in an info's {@code stats} and in the STATS reply: 70 bytes, every one written. */
    public static final String STATS_FIELDS = ""
            + "0001 00000008 0000000003200000"        // 1 memory 50 MiB
            + "0002 00000008 ffffffffffffffff"        // 2 memory_peak -1 (unknown)
            + "0003 00000008 000000000000000c"        // 3 pids 12
            + "0004 00000008 0000000059682f00"        // 4 cpu_ns 1.5 s
            + "0005 00000008 0000000000000002";       // 5 oom_kills 2

    @Test
    public void limitsAreMandatoryTagsAfterTheOthers() throws Exception {
        assertEquals(Hex.normal(V2_ENTER_LIMITS), Hex.of(CallCodec.encode(ENTER_LIMITS, 2)));
        assertEquals(ENTER_LIMITS, CallCodec.decode(new Frame(Protocol.ENTER, Hex.buffer(V2_ENTER_LIMITS))));
        assertEquals(LIMITS, LIMITS.validate());
    }

    @Test
    public void defaultLimitsAreNotWrittenSoOldRequestsKeepTheirBytes() throws Exception {
        Call.Enter defaults = new Call.Enter(BASE, ENTER_LIMITS.app());
        assertEquals(Hex.normal(V2_ENTER_DEFAULTS), Hex.of(CallCodec.encode(defaults, 2)));
        // the defaults said out loud are the same request, and the same bytes
        RockerRequest explicit = BASE.toBuilder().memoryLimit(0).pidsLimit(1024).cpus(0).cpuWeight(0).logLimit(10L << 20).build();
        assertEquals(BASE, explicit);
        assertEquals(Hex.normal(V2_ENTER_DEFAULTS), Hex.of(CallCodec.encode(new Call.Enter(explicit, ENTER_LIMITS.app()), 2)));
        // absent tags are the builder's defaults: pids 1024 and log 10 MiB, not 0 (unlimited)
        Call.Enter read = (Call.Enter) CallCodec.decode(new Frame(Protocol.ENTER, Hex.buffer(V2_ENTER_DEFAULTS)));
        assertEquals(RockerRequest.DEFAULT_PIDS_LIMIT, read.request().pidsLimit());
        assertEquals(RockerRequest.DEFAULT_LOG_LIMIT, read.request().logLimit());
        assertEquals(BASE, read.request());
        // ... and the seccomp vector of before still decodes to its request
        assertEquals(WireVectorsTest.ENTER_SECCOMP, CallCodec.decode(new Frame(Protocol.ENTER, Hex.buffer(WireVectorsTest.V2_ENTER_SECCOMP))));
    }

    @Test
    public void unlimitedIsWrittenAsZero() throws Exception {
        RockerRequest unlimited = BASE.toBuilder().pidsLimit(0).logLimit(0).build();
        String expected = "0002" + "0001 00000066" + BASE_FIELDS
                + "0011 00000004 00000000"                  // 17 pids_limit 0 (no limit)
                + "0014 00000008 0000000000000000"          // 20 log_limit 0 (unbounded)
                + APP_FIELDS;
        Call.Enter e = new Call.Enter(unlimited, ENTER_LIMITS.app());
        assertEquals(Hex.normal(expected), Hex.of(CallCodec.encode(e, 2)));
        assertEquals(e, CallCodec.decode(new Frame(Protocol.ENTER, Hex.buffer(expected))));
    }

    @Test
    public void cpusTravelAsMilliCpus() throws Exception {
        assertEquals(500, RequestCodecV2.milliCpus(0.5));
        assertEquals(10, RequestCodecV2.milliCpus(0.01));
        assertEquals(4_096_000, RequestCodecV2.milliCpus(4096));
        assertEquals(1500, RequestCodecV2.milliCpus(1.5));
        assertEquals(10, RequestCodecV2.milliCpus(0.0104));
        // never 0 (no quota) for a value that is not 0
        assertEquals(1, RequestCodecV2.milliCpus(0.0001));
        assertEquals(-1, RequestCodecV2.milliCpus(-0.0001));
        assertEquals(-1, RequestCodecV2.milliCpus(Double.NaN));
        for (double cpus : new double[] {0.01, 0.25, 0.333, 1, 2.5, 4096}) {
            RockerRequest r = BASE.toBuilder().cpus(cpus).build();
            assertEquals(r, roundTrip(r));
        }
        // rounded to the nearest milli-CPU
        assertEquals(0.011, roundTrip(BASE.toBuilder().cpus(0.0105).build()).cpus(), 0);
        // a NaN that was sent anyway is refused by validation on the server, not taken for "no quota"
        assertEquals(-0.001, roundTrip(BASE.toBuilder().cpus(Double.NaN).build()).cpus(), 0);
    }

    @Test
    public void limitsAreStrict() {
        assertRejected(withFields("0010 00000004 00000001"), "request.memory_limit: i64 must be 8 bytes, not 4");
        assertRejected(withFields("0011 00000008 0000000000000001"), "request.pids_limit: i32 must be 4 bytes, not 8");
        assertRejected(withFields("0013 00000004 00000001 0013 00000004 00000002"),
                "request.cpu_weight: field tag 19 is given twice");
        assertRejected(withFields("0015 00000000"), "unknown field tag 21 in request");
    }

    @Test
    public void versionOneCarriesNoLimitButTheDefaults() throws Exception {
        String[][] cases = {
            {"memory '67108864'", null},
            {"pids '0'", null},
            {"cpus '0.5'", null},
            {"cpu_weight '50'", null},
            {"log_limit '0'", null},
        };
        RockerRequest[] requests = {BASE.toBuilder().memoryLimit(64L << 20).build(), BASE.toBuilder().pidsLimit(0).build(),
            BASE.toBuilder().cpus(0.5).build(), BASE.toBuilder().cpuWeight(50).build(), BASE.toBuilder().logLimit(0).build()};
        for (int i = 0; i < requests.length; i++) {
            Call.Enter e = new Call.Enter(requests[i], ENTER_LIMITS.app());
            String why = cases[i][0] + ": protocol version 1 cannot carry this field";
            assertEquals(why, CallCodec.unfit(e, 1));
            assertNull(CallCodec.unfit(e, 2));
            try {
                CallCodec.encode(e, 1);
                fail();
            } catch (IllegalArgumentException expected) {
                assertEquals(why, expected.getMessage());
            }
            RockerInfo info = new RockerInfo("c", 5, 6, Instant.EPOCH, requests[i]);
            assertEquals("rocker c: " + why + " (list in version 2)", ReplyCodec.unfit(List.of(info), 1));
        }
        // the default limits go in version 1, and a version-1 request asks for them
        Call.Enter defaults = new Call.Enter(BASE, ENTER_LIMITS.app());
        assertNull(CallCodec.unfit(defaults, 1));
        assertEquals(defaults, CallCodec.decode(new Frame(Protocol.ENTER, CallCodec.encode(defaults, 1))));
    }

    @Test
    public void anInfoCarriesItsStatsInAnOptionalTag() throws Exception {
        RockerInfo info = new RockerInfo("g", 3, 4, Instant.ofEpochSecond(1700000000, 123), WireVectorsTest.INFO.request(), STATS);
        // V2_INFOS's info (119 bytes), then 8007 stats (70 bytes): 119 + 76 = 195
        String expected = Hex.normal("0001 000000c3") + Hex.normal(WireVectorsTest.V2_INFOS).substring(12)
                + Hex.normal("8007 00000046" + STATS_FIELDS);
        assertEquals(expected, Hex.of(ReplyCodec.infos(List.of(info), 2)));
        assertEquals(List.of(info), ReplyCodec.infos(new Frame(Protocol.INFOS, Hex.buffer(expected)), 2));
        // without stats (unknown), no tag: the bytes of before
        assertEquals(Hex.normal(WireVectorsTest.V2_INFOS), Hex.of(ReplyCodec.infos(List.of(WireVectorsTest.INFO), 2)));
        assertNull(ReplyCodec.infos(new Frame(Protocol.INFOS, Hex.buffer(WireVectorsTest.V2_INFOS)), 2).get(0).stats());
        // an older client, which knows info's tags 1 to 6 only, skips it
        FieldReader.of(Hex.buffer(expected), "INFOS", ReplyCodecV2.INFO).nestedAll(ReplyCodecV2.INFO, ReplyCodecV2.INFO_GUARD_NAME,
                ReplyCodecV2.INFO_GUARD_PID, ReplyCodecV2.INFO_APP_PID, ReplyCodecV2.CREATED_EPOCH_SECONDS,
                ReplyCodecV2.CREATED_NANOS, ReplyCodecV2.INFO_REQUEST);
        // version 1 has no place for them: the info goes without (they are figures, not what the rocker may do)
        RockerInfo v1 = ReplyCodec.infos(new Frame(Protocol.INFOS, ReplyCodec.infos(List.of(info), 1)), 1).get(0);
        assertNull(v1.stats());
        assertEquals(new RockerInfo("g", 3, 4, info.created(), info.request()), v1);
    }

    @Test
    public void statsRequestAndReply() throws Exception {
        Call.Stats call = new Call.Stats("g");
        String v2 = "0002 0001 00000001 67";                 // version 2, 1 guard_name "g"
        assertEquals(Protocol.STATS, CallCodec.type(call));
        assertEquals(Hex.normal(v2), Hex.of(CallCodec.encode(call, 2)));
        assertEquals(call, CallCodec.decode(new Frame(Protocol.STATS, Hex.buffer(v2))));
        assertRejected(new Frame(Protocol.STATS, Hex.buffer("0002")), "guard_name: required");
        assertRejected(new Frame(Protocol.STATS, Hex.buffer("0002 0002 00000001 67")), "unknown field tag 2 in STATS");
        // version 1 has no STATS, either way
        assertEquals("STATS: protocol version 1 cannot carry this request", CallCodec.unfit(call, 1));
        try {
            CallCodec.encode(call, 1);
            fail();
        } catch (IllegalArgumentException expected) {
            assertEquals("STATS: protocol version 1 cannot carry this request", expected.getMessage());
        }
        assertRejected(new Frame(Protocol.STATS, Hex.buffer("0001 00000001 67")),
                "STATS: protocol version 1 cannot carry this request (send it in version 2)");
        assertRejected(new Frame((byte) 0x0b, Hex.buffer("0002")), "unknown request type 0x0b");

        assertEquals(Hex.normal(STATS_FIELDS), Hex.of(ReplyCodec.stats(STATS, 2)));
        assertEquals(STATS, ReplyCodec.stats(new Frame(Protocol.STATS_REPLY, Hex.buffer(STATS_FIELDS))));
        // an absent figure is unknown (-1), an unknown optional one is skipped
        assertEquals(new RockerStats(7, -1, -1, -1, -1),
                ReplyCodec.stats(new Frame(Protocol.STATS_REPLY, Hex.buffer("0001 00000008 0000000000000007 8006 00000001 00"))));
        try {
            ReplyCodec.stats(STATS, 1);
            fail();
        } catch (IllegalArgumentException expected) {
            // STATS exists in version 2 only
        }
        // a RESULT instead is the server's error
        try {
            ReplyCodec.stats(new Frame(Protocol.RESULT, ReplyCodec.result(rocker.api.RockerResult.failure(
                    rocker.api.RockerError.PARAM_INVALID, "guard_name 'g': no such rocker"), 2)));
            fail();
        } catch (ErrorReplyException expected) {
            assertEquals("guard_name 'g': no such rocker", expected.result().message());
        }
        try {
            ReplyCodec.stats(new Frame(Protocol.STATS_REPLY, Hex.buffer("0001 00000004 00000007")));
            fail();
        } catch (ProtocolException expected) {
            assertEquals("memory: i64 must be 8 bytes, not 4", expected.getMessage());
        }
    }

    /** V2_ENTER_DEFAULTS with {@code extra} at the end of its request list. */
    private static String withFields(String extra) {
        int length = 78 + Hex.normal(extra).length() / 2;
        return "0002" + String.format("0001 %08x", length) + BASE_FIELDS + extra + APP_FIELDS;
    }

    private static RockerRequest roundTrip(RockerRequest r) throws ProtocolException {
        Call.Enter e = new Call.Enter(r, ENTER_LIMITS.app());
        return ((Call.Enter) CallCodec.decode(new Frame(Protocol.ENTER, CallCodec.encode(e, 2)))).request();
    }

    private static void assertRejected(Frame f, String expected) {
        try {
            CallCodec.decode(f);
            fail("accepted; expected: " + expected);
        } catch (ProtocolException e) {
            assertTrue(e.getMessage() + " should contain " + expected, e.getMessage().contains(expected));
        }
    }

    private static void assertRejected(String body, String expected) {
        assertRejected(new Frame(Protocol.ENTER, Hex.buffer(body)), expected);
    }
}
