package rocker.client.protocol;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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
import rocker.api.SharedDir;
import rocker.client.testing.Hex;
import rocker.client.testing.Requests;

/** Version 2 of the protocol: round trips, defaults and strictness of the tagged field lists. */
public class CallCodecV2Test {
    private static final AppSpec APP = new AppSpec(List.of("/bin/echo", "hé", ""), environment("A", "1", "B", "x=y", "C", ""),
            "/opt", StdioSpec.DISCARD, StdioSpec.STREAM, StdioSpec.file("/tmp/err.log"));

    private static Map<String, String> environment(String... namesAndValues) {
        Map<String, String> env = new java.util.LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            env.put(namesAndValues[i], namesAndValues[i + 1]);
        }
        return env;
    }

    private static Call roundTrip(Call call) throws ProtocolException {
        return CallCodec.decode(new Frame(CallCodec.type(call), CallCodec.encode(call, 2)));
    }

    /** A field: u16 tag, u32 length, value. */
    private static byte[] tlv(int tag, byte[] value) {
        return ByteBuffer.allocate(6 + value.length).putShort((short) tag).putInt(value.length).put(value).array();
    }

    private static byte[] i32(int v) {
        return ByteBuffer.allocate(4).putInt(v).array();
    }

    private static byte[] str(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] list(byte[]... fields) {
        ByteBuffer b = ByteBuffer.allocate(java.util.Arrays.stream(fields).mapToInt(f -> f.length).sum());
        for (byte[] f : fields) {
            b.put(f);
        }
        return b.array();
    }

    /** A version-2 request frame: version 2, then the fields. */
    private static Frame v2(byte type, byte[]... fields) {
        byte[] l = list(fields);
        return new Frame(type, ByteBuffer.allocate(2 + l.length).putShort((short) 2).put(l).flip());
    }

    /** An ENTER whose request list holds {@code request} and whose app list holds {@code app}. */
    private static Frame enter(byte[] request, byte[] app) {
        return v2(Protocol.ENTER, tlv(1, request), tlv(2, app));
    }

    private static final byte[] MINIMAL_APP = tlv(1, str("/bin/true"));
    private static final AppSpec SMALL_APP = new AppSpec(List.of("/b"), Map.of(), null, StdioSpec.DISCARD, StdioSpec.LOG, StdioSpec.LOG);

    @Test
    public void everyCallSurvivesTheWire() throws Exception {
        RockerRequest req = Requests.valid(1000, 1001).groups(List.of(5, 6)).hostname("box")
                .userNamespace(true).network(NetworkMode.NONE).removeOnExit(true)
                .devices(List.of("/dev/ttyUSB0", "/dev/bus/usb/001/002", "/dev/é"))
                .sharedDirs(List.of(SharedDir.readOnly("/srv/in"), SharedDir.readWrite("/srv/out"), SharedDir.readOnly("/srv/ü")))
                .seccomp("/etc/rocker/ü.json").build();
        Call.Enter enter = (Call.Enter) roundTrip(new Call.Enter(req, APP));
        assertEquals(req, enter.request());
        assertEquals("/etc/rocker/ü.json", enter.request().seccomp());
        assertEquals(APP, enter.app());
        Call.Enter unconfined = new Call.Enter(req.toBuilder().seccomp(RockerRequest.SECCOMP_UNCONFINED).build(), APP);
        assertEquals(unconfined, roundTrip(unconfined));
        assertEquals(List.of("A", "B", "C"), List.copyOf(enter.app().environment().keySet()));
        Call.Enter blank = new Call.Enter(RockerRequest.builder().build(),
                new AppSpec(List.of(), Map.of(), null, StdioSpec.LOG, StdioSpec.LOG, StdioSpec.DISCARD));
        assertEquals(blank, roundTrip(blank));
        assertEquals(new Call.GuardName(42), roundTrip(new Call.GuardName(42)));
        assertEquals(new Call.GuardName(-1), roundTrip(new Call.GuardName(-1)));
        assertEquals(new Call.Destroy("g1"), roundTrip(new Call.Destroy("g1")));
        assertEquals(new Call.DestroyPid(7, "g2"), roundTrip(new Call.DestroyPid(7, "g2")));
        assertEquals(new Call.ListRockers(), roundTrip(new Call.ListRockers()));
        assertEquals(new Call.Wait("g3", 1500), roundTrip(new Call.Wait("g3", 1500)));
        assertEquals(new Call.Wait("g3", Long.MAX_VALUE), roundTrip(new Call.Wait("g3", Long.MAX_VALUE)));
        assertEquals("0002", Hex.of(CallCodec.encode(new Call.ListRockers(), 2)));
        // the example of docs/protocol.md
        assertEquals(Hex.normal("0000000d 02 0002 0001 00000004 0000002a"), Hex.of(ByteBuffer.wrap(
                rocker.client.testing.RawClient.frame(Protocol.GUARD_NAME, CallCodec.encode(new Call.GuardName(42), 2)))));
    }

    @Test
    public void repliesSurviveTheWire() throws Exception {
        RockerResult r = RockerResult.of(RockerError.UNKNOWN, -1, 2, "", "é");
        assertEquals(r, ReplyCodec.result(new Frame(Protocol.RESULT, ReplyCodec.result(r, 2))));
        RockerInfo a = new RockerInfo("g", 3, 4, Instant.ofEpochSecond(-5, 999_999_999), Requests.valid(1, 2).build());
        RockerInfo b = new RockerInfo("h", 5, 6, Instant.ofEpochSecond(1700000000, 0),
                Requests.valid(7, 8).groups(List.of(9)).network(NetworkMode.NONE).build());
        RockerInfo c = new RockerInfo("i", 7, 8, Instant.ofEpochSecond(1700000001, 5), Requests.valid(9, 9)
                .devices(List.of("/dev/ttyACM0", "/dev/ttyUSB0")).addSharedDir(SharedDir.readOnly("/srv/x")).build());
        RockerInfo d = new RockerInfo("j", 9, 10, Instant.ofEpochSecond(1700000002, 6), Requests.valid(0, 0)
                .seccomp(RockerRequest.SECCOMP_UNCONFINED).build());
        RockerInfo f = new RockerInfo("k", 11, 12, Instant.ofEpochSecond(1700000003, 7), Requests.valid(0, 0)
                .addDevice("/dev/ttyUSB0").seccomp("/etc/rocker/app.json").build());
        assertEquals(List.of(a, b, c, d, f),
                ReplyCodec.infos(new Frame(Protocol.INFOS, ReplyCodec.infos(List.of(a, b, c, d, f), 2)), 2));
        assertEquals(OptionalInt.of(-3), ReplyCodec.exit(new Frame(Protocol.EXIT, ReplyCodec.exit(OptionalInt.of(-3), 2)), 2));
        try {
            ReplyCodec.exit(new Frame(Protocol.RESULT, ReplyCodec.result(RockerResult.failure(RockerError.SYS, "no"), 2)), 2);
            fail();
        } catch (ErrorReplyException e) {
            assertEquals("no", e.result().message());
        }
    }

    @Test
    public void absentFieldsTakeTheBuildersDefaults() throws Exception {
        Call.Enter e = (Call.Enter) CallCodec.decode(v2(Protocol.ENTER));
        assertEquals(RockerRequest.builder().build(), e.request());
        assertEquals(new AppSpec(List.of(), Map.of(), null, StdioSpec.DISCARD, StdioSpec.DISCARD, StdioSpec.DISCARD), e.app());
        assertNull(e.request().pkgPath());
        assertEquals(NetworkMode.HOST, e.request().network());
        assertEquals(new Call.GuardName(0), CallCodec.decode(v2(Protocol.GUARD_NAME)));
        assertEquals(new Call.DestroyPid(0, "g"), CallCodec.decode(v2(Protocol.DESTROY_PID, tlv(2, str("g")))));
        assertEquals(new Call.Wait("g", 0), CallCodec.decode(v2(Protocol.WAIT, tlv(1, str("g")))));
        assertEquals(new Call.Destroy(""), CallCodec.decode(v2(Protocol.DESTROY, tlv(1, new byte[0]))));
    }

    @Test
    public void theGuardNameOfDestroyAndWaitIsRequired() {
        assertRejected(v2(Protocol.DESTROY), "guard_name: required");
        assertRejected(v2(Protocol.DESTROY_PID, tlv(1, i32(5))), "guard_name: required");
        assertRejected(v2(Protocol.WAIT, tlv(2, new byte[8])), "guard_name: required");
    }

    @Test
    public void fieldsMayComeInAnyOrderAndRepeatedOnesKeepTheirOrder() throws Exception {
        byte[] request = list(tlv(8, str("/b")), tlv(2, i32(7)), tlv(4, i32(3)), tlv(8, str("/a")), tlv(4, i32(1)));
        Call.Enter e = (Call.Enter) CallCodec.decode(v2(Protocol.ENTER, tlv(2, MINIMAL_APP), tlv(1, request)));
        assertEquals(7, e.request().uid());
        assertEquals(List.of(3, 1), e.request().groups());
        assertEquals(List.of("/b", "/a"), e.request().overlayDirs());
        assertEquals(List.of("/bin/true"), e.app().command());
    }

    @Test
    public void anUnknownMandatoryTagIsRejectedAndNamed() {
        assertRejected(v2(Protocol.LIST, tlv(1, new byte[0])), "unknown field tag 1 in LIST");
        assertRejected(v2(Protocol.GUARD_NAME, tlv(1, i32(1)), tlv(2, i32(1))), "unknown field tag 2 in GUARD_NAME");
        assertRejected(v2(Protocol.ENTER, tlv(3, new byte[0])), "unknown field tag 3 in ENTER");
        assertRejected(enter(tlv(21, new byte[1]), MINIMAL_APP), "unknown field tag 21 in request");
        assertRejected(enter(tlv(14, tlv(3, new byte[0])), MINIMAL_APP), "unknown field tag 3 in request.shared_dir[0]");
        assertRejected(enter(new byte[0], list(MINIMAL_APP, tlv(5, list(tlv(1, str("log")), tlv(0x7ffe, new byte[0]))))),
                "unknown field tag 32766 in app.stdout");
        // tag 0 is never used
        assertRejected(v2(Protocol.LIST, tlv(0, new byte[0])), "unknown field tag 0 in LIST");
        // the optional bit belongs to the tag: 0x8001 is not uid, it is skipped
        assertRejected(v2(Protocol.GUARD_NAME, tlv(0x0101, i32(1))), "unknown field tag 257 in GUARD_NAME");
    }

    @Test
    public void anUnknownOptionalTagIsSkipped() throws Exception {
        assertEquals(new Call.ListRockers(), CallCodec.decode(v2(Protocol.LIST, tlv(0x8005, str("abc")))));
        assertEquals(new Call.GuardName(9),
                CallCodec.decode(v2(Protocol.GUARD_NAME, tlv(0x8001, i32(1)), tlv(1, i32(9)), tlv(0xffff, new byte[100]))));
        byte[] request = list(tlv(2, i32(5)), tlv(0x800d, new byte[] {1, 2, 3}), tlv(0x800d, new byte[0]));
        byte[] app = list(MINIMAL_APP, tlv(0x8007, str("later")), tlv(4, list(tlv(1, str("log")), tlv(0x8003, new byte[2]))));
        Call.Enter e = (Call.Enter) CallCodec.decode(enter(request, app));
        assertEquals(5, e.request().uid());
        // 0x800d is another tag than 13 (device): skipped, not a device
        assertEquals(List.of(), e.request().devices());
        // nor is 0x800f a seccomp: skipped, Rocker's default filter
        Call.Enter f = (Call.Enter) CallCodec.decode(enter(tlv(0x800f, str("unconfined")), MINIMAL_APP));
        assertNull(f.request().seccomp());
        assertEquals(StdioSpec.LOG, e.app().stdin());
        // a later server's "oom" in EXIT
        byte[] exit = list(tlv(1, new byte[] {1}), tlv(2, i32(137)), tlv(0x8007, new byte[] {1}));
        assertEquals(OptionalInt.of(137), exit(exit));
    }

    @Test
    public void aTagGivenTwiceIsRejectedUnlessItRepeats() {
        assertRejected(v2(Protocol.GUARD_NAME, tlv(1, i32(1)), tlv(1, i32(2))), "pid: field tag 1 is given twice");
        assertRejected(enter(list(tlv(2, i32(1)), tlv(2, i32(1))), MINIMAL_APP), "request.uid: field tag 2 is given twice");
        assertRejected(v2(Protocol.ENTER, tlv(2, MINIMAL_APP), tlv(2, MINIMAL_APP)), "app: field tag 2 is given twice");
        assertRejected(enter(new byte[0], list(tlv(3, str("/a")), tlv(3, str("/b")))), "app.work_dir: field tag 3 is given twice");
    }

    @Test
    public void aValueMustFitItsType() {
        assertRejected(v2(Protocol.GUARD_NAME, tlv(1, new byte[3])), "pid: i32 must be 4 bytes, not 3");
        assertRejected(v2(Protocol.WAIT, tlv(1, str("g")), tlv(2, i32(5))), "timeout_ms: i64 must be 8 bytes, not 4");
        assertRejected(enter(tlv(10, new byte[2]), MINIMAL_APP), "request.userns: bool must be 1 bytes, not 2");
        assertRejected(enter(tlv(10, new byte[] {2}), MINIMAL_APP), "request.userns: boolean must be 0 or 1, not 2");
        assertRejected(enter(tlv(4, new byte[5]), MINIMAL_APP), "request.group: i32 must be 4 bytes, not 5");
        assertRejected(v2(Protocol.DESTROY, tlv(1, new byte[] {(byte) 0xc3, 0x28})), "guard_name: not valid UTF-8");
        assertRejected(enter(new byte[0], list(MINIMAL_APP, tlv(1, new byte[] {(byte) 0xff}))), "app.arg[1]: not valid UTF-8");
        assertRejected(v2(Protocol.WAIT, tlv(1, str("g")), tlv(2, ByteBuffer.allocate(8).putLong(-1).array())),
                "timeout_ms: must not be negative");
    }

    @Test
    public void aTruncatedFieldIsRejectedBeforeAnythingIsAllocated() {
        byte[] cut = tlv(1, i32(7));
        assertRejected(v2(Protocol.GUARD_NAME, java.util.Arrays.copyOf(cut, 8)), "pid: length 4 exceeds the 2 bytes left");
        assertRejected(v2(Protocol.GUARD_NAME, new byte[] {0, 1, 0}), "GUARD_NAME: truncated field header (3 bytes left)");
        byte[] huge = ByteBuffer.allocate(6).putShort((short) 0x8009).putInt(-1).array();
        assertRejected(v2(Protocol.LIST, huge), "field tag 32777 in LIST: length 4294967295 exceeds the 0 bytes left");
        // a nested list ends where its field ends, even when the frame goes on
        byte[] request = list(tlv(2, i32(1)), java.util.Arrays.copyOf(tlv(3, i32(1)), 3));
        assertRejected(enter(request, MINIMAL_APP), "request: truncated field header (3 bytes left)");
        byte[] shortValue = list(tlv(2, i32(1)), java.util.Arrays.copyOf(tlv(3, i32(1)), 7));
        assertRejected(enter(shortValue, MINIMAL_APP), "request.gid: length 4 exceeds the 1 bytes left");
        byte[] longer = ByteBuffer.allocate(10).putShort((short) 5).putInt(100).putInt(0).array();
        assertRejected(enter(longer, MINIMAL_APP), "request.app_pkg_path: length 100 exceeds the 4 bytes left");
    }

    @Test
    public void enumsAreNamesAndMustBeKnown() {
        assertRejected(enter(tlv(11, str("wifi")), MINIMAL_APP), "request.network: unknown mode 'wifi' (host or none)");
        assertRejected(enter(tlv(11, str("HOST")), MINIMAL_APP), "request.network: unknown mode 'HOST'");
        assertRejected(enter(tlv(11, new byte[] {1}), MINIMAL_APP), "request.network: unknown mode");
        assertRejected(enter(new byte[0], tlv(5, tlv(1, str("pipe")))), "app.stdout.kind: unknown stdio kind 'pipe'");
        assertRejected(enter(new byte[0], tlv(6, new byte[0])), "app.stderr.kind: required");
        assertRejected(enter(new byte[0], tlv(4, tlv(1, str("stream")))), "app.stdin: cannot be streamed");
        assertRejected(enter(new byte[0], tlv(4, tlv(1, str("file")))), "app.stdin.path: required for kind file");
        assertRejected(enter(new byte[0], tlv(5, list(tlv(1, str("log")), tlv(2, str("/x"))))),
                "app.stdout.path: only goes with kind file, not log");
    }

    @Test
    public void theEnvironmentIsNameEqualsValue() throws Exception {
        assertRejected(enter(new byte[0], list(tlv(2, str("A=1")), tlv(2, str("PATH")))), "app.env[1]: no '=' between name and value");
        assertRejected(enter(new byte[0], list(tlv(2, str("A=1")), tlv(2, str("A=2")))), "app.env: variable 'A' is given twice");
        Call.Enter e = (Call.Enter) CallCodec.decode(enter(new byte[0], list(tlv(2, str("A==b=")), tlv(2, str("=x")))));
        assertEquals(Map.of("A", "=b=", "", "x"), e.app().environment());
        AppSpec bad = new AppSpec(List.of("/bin/true"), Map.of("A=B", "c"), null, StdioSpec.DISCARD, StdioSpec.LOG, StdioSpec.LOG);
        try {
            CallCodec.encode(new Call.Enter(RockerRequest.builder().build(), bad), 2);
            fail();
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage(), expected.getMessage().contains("'A=B' contains '='"));
        }
    }

    @Test
    public void versionsAndTypes() {
        assertRejected(new Frame((byte) 0x7f, Hex.buffer("0002")), "unknown request type 0x7f");
        assertRejected(new Frame(Protocol.LIST, Hex.buffer("00")), "version: frame ends early");
        try {
            CallCodec.encode(new Call.ListRockers(), 3);
            fail();
        } catch (IllegalArgumentException expected) {
            // only 1 and 2
        }
    }

    @Test
    public void repliesAreStrictToo() {
        assertReplyRejected(() -> ReplyCodec.result(new Frame(Protocol.RESULT, ByteBuffer.wrap(tlv(2, i32(1))))), "err_no: required");
        assertReplyRejected(() -> ReplyCodec.result(new Frame(Protocol.RESULT, ByteBuffer.wrap(list(tlv(1, i32(0)), tlv(6, i32(0)))))),
                "unknown field tag 6 in RESULT");
        assertReplyRejected(() -> exit(list(tlv(1, new byte[] {1}), tlv(1, new byte[] {1}))), "ended: field tag 1 is given twice");
        assertReplyRejected(() -> exit(tlv(3, new byte[0])), "unknown field tag 3 in EXIT");
        byte[] info = list(tlv(2, i32(1)));
        assertReplyRejected(() -> ReplyCodec.infos(new Frame(Protocol.INFOS, ByteBuffer.wrap(tlv(1, info))), 2), "info[0].guard_name: required");
        byte[] nanos = list(tlv(1, str("g")), tlv(5, i32(1_000_000_000)));
        assertReplyRejected(() -> ReplyCodec.infos(new Frame(Protocol.INFOS, ByteBuffer.wrap(tlv(1, nanos))), 2), "info[0].created_nanos: out of range");
        byte[] request = list(tlv(1, str("g")), tlv(6, tlv(11, str("x"))));
        assertReplyRejected(() -> ReplyCodec.infos(new Frame(Protocol.INFOS, ByteBuffer.wrap(tlv(1, request))), 2),
                "info[0].request.network: unknown mode 'x'");
    }

    @Test
    public void devicesAndSharedDirsRepeatInOrderAmongOtherFields() throws Exception {
        byte[] request = list(tlv(14, list(tlv(2, new byte[] {1}), tlv(1, str("/srv/b")))), tlv(13, str("/dev/b")),
                tlv(2, i32(7)), tlv(13, str("/dev/a")), tlv(14, tlv(1, str("/srv/a"))));
        RockerRequest r = ((Call.Enter) CallCodec.decode(enter(request, MINIMAL_APP))).request();
        assertEquals(List.of("/dev/b", "/dev/a"), r.devices());
        // read_only absent: read-write, as DIR without ":ro"
        assertEquals(List.of(SharedDir.readOnly("/srv/b"), SharedDir.readWrite("/srv/a")), r.sharedDirs());
        assertEquals(7, r.uid());
        // none given: none, and none written (a request without them is the same bytes as before tag 13)
        assertEquals(List.of(), ((Call.Enter) CallCodec.decode(enter(tlv(2, i32(7)), MINIMAL_APP))).request().sharedDirs());
        String blank = Hex.of(CallCodec.encode(new Call.Enter(RockerRequest.builder().build(), SMALL_APP), 2));
        assertFalse(blank, blank.contains("000d0000") || blank.contains("000e0000"));
    }

    @Test
    public void devicesAndSharedDirsAreStrict() {
        assertRejected(enter(tlv(13, new byte[] {(byte) 0xff}), MINIMAL_APP), "request.device[0]: not valid UTF-8");
        assertRejected(enter(list(tlv(13, str("/dev/a")), tlv(13, new byte[] {(byte) 0xc3})), MINIMAL_APP),
                "request.device[1]: not valid UTF-8");
        assertRejected(enter(tlv(14, tlv(2, new byte[] {1})), MINIMAL_APP), "request.shared_dir[0].path: required");
        assertRejected(enter(list(tlv(14, tlv(1, str("/a"))), tlv(14, list(tlv(1, str("/b")), tlv(2, new byte[] {2})))),
                MINIMAL_APP), "request.shared_dir[1].read_only: boolean must be 0 or 1, not 2");
        assertRejected(enter(tlv(14, list(tlv(1, str("/a")), tlv(1, str("/b")))), MINIMAL_APP),
                "request.shared_dir[0].path: field tag 1 is given twice");
        assertRejected(enter(tlv(14, list(tlv(1, str("/a")), tlv(2, new byte[2]))), MINIMAL_APP),
                "request.shared_dir[0].read_only: bool must be 1 bytes, not 2");
        assertRejected(enter(tlv(14, new byte[] {0, 1, 0}), MINIMAL_APP), "request.shared_dir[0]: truncated field header (3 bytes left)");
        // the values themselves are checked by validation, not by the codec
        RockerRequest odd = ((Call.Enter) decodeQuietly(enter(list(tlv(13, str("dev/x")), tlv(14, tlv(1, str("/")))), MINIMAL_APP))).request();
        assertEquals(List.of("dev/x"), odd.devices());
        assertEquals(List.of(SharedDir.readWrite("/")), odd.sharedDirs());
        // in INFOS too
        byte[] info = list(tlv(1, str("g")), tlv(6, tlv(14, tlv(2, new byte[] {0}))));
        assertReplyRejected(() -> ReplyCodec.infos(new Frame(Protocol.INFOS, ByteBuffer.wrap(tlv(1, info))), 2),
                "info[0].request.shared_dir[0].path: required");
    }

    @Test
    public void seccompIsOneStringWrittenOnlyWhenSet() throws Exception {
        byte[] request = list(tlv(15, str("unconfined")), tlv(2, i32(7)), tlv(13, str("/dev/a")));
        RockerRequest r = ((Call.Enter) CallCodec.decode(enter(request, MINIMAL_APP))).request();
        assertEquals(RockerRequest.SECCOMP_UNCONFINED, r.seccomp());
        assertEquals(7, r.uid());
        assertEquals(List.of("/dev/a"), r.devices());
        // absent: null, Rocker's default filter; and null is not written (the bytes of before tag 15)
        assertNull(((Call.Enter) CallCodec.decode(enter(tlv(2, i32(7)), MINIMAL_APP))).request().seccomp());
        String blank = Hex.of(CallCodec.encode(new Call.Enter(RockerRequest.builder().build(), SMALL_APP), 2));
        assertFalse(blank, blank.contains("000f0000"));
        // an empty string is written and read as such, never taken for the default (validation refuses it)
        Call.Enter empty = new Call.Enter(RockerRequest.builder().seccomp("").build(), SMALL_APP);
        assertTrue(Hex.of(CallCodec.encode(empty, 2)).contains("000f00000000"));
        assertEquals("", ((Call.Enter) roundTrip(empty)).request().seccomp());
        // the value itself is checked by validation, not by the codec
        assertEquals("profile.json", ((Call.Enter) decodeQuietly(enter(tlv(15, str("profile.json")), MINIMAL_APP))).request().seccomp());
    }

    @Test
    public void seccompIsStrict() {
        assertRejected(enter(list(tlv(15, str("unconfined")), tlv(15, str("/etc/p.json"))), MINIMAL_APP),
                "request.seccomp: field tag 15 is given twice");
        assertRejected(enter(tlv(15, new byte[] {(byte) 0xc3}), MINIMAL_APP), "request.seccomp: not valid UTF-8");
        byte[] info = list(tlv(1, str("g")), tlv(6, tlv(15, new byte[] {(byte) 0xff})));
        assertReplyRejected(() -> ReplyCodec.infos(new Frame(Protocol.INFOS, ByteBuffer.wrap(tlv(1, info))), 2),
                "info[0].request.seccomp: not valid UTF-8");
    }

    @Test
    public void versionOneNeverCarriesThemSilently() throws Exception {
        Call.Enter devices = new Call.Enter(Requests.valid(0, 0).addDevice("/dev/ttyUSB0").build(), SMALL_APP);
        Call.Enter shared = new Call.Enter(Requests.valid(0, 0).addSharedDir(SharedDir.readOnly("/srv")).build(), SMALL_APP);
        Call.Enter unconfined = new Call.Enter(Requests.valid(0, 0).seccomp(RockerRequest.SECCOMP_UNCONFINED).build(), SMALL_APP);
        Call.Enter profile = new Call.Enter(Requests.valid(0, 0).seccomp("/etc/rocker/app.json").build(), SMALL_APP);
        assertEquals("devices '[/dev/ttyUSB0]': protocol version 1 cannot carry this field", CallCodec.unfit(devices, 1));
        assertEquals("shared_dirs '[/srv:ro]': protocol version 1 cannot carry this field", CallCodec.unfit(shared, 1));
        assertEquals("seccomp 'unconfined': protocol version 1 cannot carry this field", CallCodec.unfit(unconfined, 1));
        assertEquals("seccomp '/etc/rocker/app.json': protocol version 1 cannot carry this field", CallCodec.unfit(profile, 1));
        assertNull(CallCodec.unfit(unconfined, 2));
        assertNull(CallCodec.unfit(devices, 2));
        assertNull(CallCodec.unfit(new Call.Enter(Requests.valid(0, 0).build(), SMALL_APP), 1));
        assertNull(CallCodec.unfit(new Call.ListRockers(), 1));
        for (Call.Enter e : List.of(devices, shared, unconfined, profile)) {
            try {
                CallCodec.encode(e, 1);
                fail();
            } catch (IllegalArgumentException expected) {
                assertEquals(CallCodec.unfit(e, 1), expected.getMessage());
            }
        }
        RockerInfo plain = new RockerInfo("a", 1, 2, Instant.EPOCH, Requests.valid(0, 0).build());
        RockerInfo withShare = new RockerInfo("b", 3, 4, Instant.EPOCH, shared.request());
        assertNull(ReplyCodec.unfit(List.of(plain), 1));
        assertNull(ReplyCodec.unfit(List.of(plain, withShare), 2));
        assertEquals("rocker b: shared_dirs '[/srv:ro]': protocol version 1 cannot carry this field (list in version 2)",
                ReplyCodec.unfit(List.of(plain, withShare), 1));
        try {
            ReplyCodec.infos(List.of(plain, withShare), 1);
            fail();
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage(), expected.getMessage().startsWith("shared_dirs '[/srv:ro]'"));
        }
        assertEquals(List.of(plain), ReplyCodec.infos(new Frame(Protocol.INFOS, ReplyCodec.infos(List.of(plain), 1)), 1));
        RockerInfo filtered = new RockerInfo("c", 5, 6, Instant.EPOCH, profile.request());
        assertEquals("rocker c: seccomp '/etc/rocker/app.json': protocol version 1 cannot carry this field (list in version 2)",
                ReplyCodec.unfit(List.of(plain, filtered), 1));
        assertNull(ReplyCodec.unfit(List.of(plain, filtered), 2));
    }

    private static Call decodeQuietly(Frame f) {
        try {
            return CallCodec.decode(f);
        } catch (ProtocolException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }

    @Test
    public void aResultIsReadInEitherLayout() throws Exception {
        RockerResult unknown = RockerResult.of(RockerError.UNKNOWN, 3, 4, "g", "m");
        assertEquals(unknown, ReplyCodec.result(new Frame(Protocol.RESULT, ReplyCodec.result(unknown, 1))));
        assertEquals(unknown, ReplyCodec.result(new Frame(Protocol.RESULT, ReplyCodec.result(unknown, 2))));
        RockerResult ok = RockerResult.success(1, 2, "g", "");
        assertEquals(ok, ReplyCodec.result(new Frame(Protocol.RESULT, ReplyCodec.result(ok, 1))));
        assertEquals(ok, ReplyCodec.result(new Frame(Protocol.RESULT, ReplyCodec.result(ok, 2))));
    }

    @Test
    public void anOldServersRefusalIsRecognized() {
        RockerResult old = RockerResult.failure(RockerError.PARAM_INVALID,
                "bad request: protocol version 2 is not supported (this side speaks 1)");
        assertTrue(ReplyCodec.refusesVersion(new Frame(Protocol.RESULT, ReplyCodec.result(old, 1)), 2));
        assertFalse(ReplyCodec.refusesVersion(new Frame(Protocol.RESULT, ReplyCodec.result(old, 2)), 2));
        assertFalse(ReplyCodec.refusesVersion(new Frame(Protocol.RESULT, ReplyCodec.result(old, 1)), 3));
        RockerResult busy = RockerResult.failure(RockerError.SYS, "server busy: ...");
        assertFalse(ReplyCodec.refusesVersion(new Frame(Protocol.RESULT, ReplyCodec.result(busy, 1)), 2));
    }

    @Test
    public void mutatedBytesAreReadOrRejectedButNeverCrashTheReader() {
        java.util.Random random = new java.util.Random(2024);
        byte[][] seeds = {Hex.bytes(WireVectorsTest.V2_ENTER), Hex.bytes(WireVectorsTest.V2_INFOS),
            Hex.bytes(WireVectorsTest.V2_RESULT), Hex.bytes(WireVectorsTest.V2_EXIT), Hex.bytes(WireVectorsTest.V2_ENTER_1_1),
            Hex.bytes(WireVectorsTest.V2_ENTER_SECCOMP)};
        for (int i = 0; i < 20_000; i++) {
            byte[] b = seeds[i % seeds.length].clone();
            for (int n = 1 + random.nextInt(3); n > 0; n--) {
                b[random.nextInt(b.length)] = (byte) random.nextInt(256);
            }
            byte[] cut = java.util.Arrays.copyOf(b, random.nextInt(b.length + 1));
            for (byte[] body : new byte[][] {b, cut}) {
                try {
                    switch (i % seeds.length) {
                        case 0: CallCodec.decode(new Frame(Protocol.ENTER, ByteBuffer.wrap(body))); break;
                        case 1: ReplyCodec.infos(new Frame(Protocol.INFOS, ByteBuffer.wrap(body)), 2); break;
                        case 2: ReplyCodec.result(new Frame(Protocol.RESULT, ByteBuffer.wrap(body))); break;
                        case 3: ReplyCodec.exit(new Frame(Protocol.EXIT, ByteBuffer.wrap(body)), 2); break;
                        default: CallCodec.decode(new Frame(Protocol.ENTER, ByteBuffer.wrap(body))); break;
                    }
                } catch (ProtocolException expected) {
                    // rejected: fine
                } catch (RuntimeException e) {
                    throw new AssertionError("crashed on " + Hex.of(ByteBuffer.wrap(body)), e);
                }
            }
        }
    }

    private static OptionalInt exit(byte[] body) throws ProtocolException {
        return ReplyCodec.exit(new Frame(Protocol.EXIT, ByteBuffer.wrap(body)), 2);
    }

    private interface Decoding {
        Object run() throws ProtocolException;
    }

    private static void assertReplyRejected(Decoding d, String expected) {
        try {
            d.run();
            fail("accepted a bad reply; expected: " + expected);
        } catch (ProtocolException e) {
            assertTrue(e.getMessage() + " should contain " + expected, e.getMessage().contains(expected));
        }
    }

    private static void assertRejected(Frame f, String expected) {
        assertReplyRejected(() -> CallCodec.decode(f), expected);
    }
}
