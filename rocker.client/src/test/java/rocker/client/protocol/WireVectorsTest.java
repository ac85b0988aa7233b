package rocker.client.protocol;

import static org.junit.Assert.assertEquals;

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

/**
 * Fixed bytes pin both layouts: each vector is written by hand from docs/protocol.md, then the codec
 * must produce exactly these bytes and read them back into the expected value.
 */
public class WireVectorsTest {
    /** Every request field set; strings are short ASCII except "é" (c3 a9). */
    public static final RockerRequest REQUEST = RockerRequest.builder().appId(1000).uid(1001).gid(1002).groups(List.of(5, 6))
            .pkgPath("/p").execDir("/x").dataDir("/d").overlayDirs(List.of("/u", "/e")).hostname("h")
            .userNamespace(true).network(NetworkMode.NONE).removeOnExit(true).build();
    static final AppSpec APP = new AppSpec(List.of("/b", "é"), Map.of("A", "1"), "/w",
            StdioSpec.file("/i"), StdioSpec.STREAM, StdioSpec.LOG);
    static final Call.Enter ENTER = new Call.Enter(REQUEST, APP);

    /** ENTER body, version 1. */
    public static final String V1_ENTER = ""
            + "0001"                                  // version 1
            + "000003e8 000003e9 000003ea"            // app_id 1000, uid 1001, gid 1002
            + "00000002 00000005 00000006"            // groups: count 2, 5, 6
            + "00000002 2f70"                         // app_pkg_path "/p"
            + "00000002 2f78"                         // app_exec_dir "/x"
            + "00000002 2f64"                         // app_data_dir "/d"
            + "00000002 00000002 2f75 00000002 2f65"  // app_overlay_dirs: count 2, "/u", "/e"
            + "00000001 68"                           // hostname "h"
            + "01 01 01"                              // userns 1, network 1 (none), remove_on_exit 1
            + "00000002 00000002 2f62 00000002 c3a9"  // command: count 2, "/b", "é"
            + "00000001 00000001 41 00000001 31"      // env_count 1, "A", "1"
            + "00000002 2f77"                         // work_dir "/w"
            + "02 00000002 2f69"                      // stdin: 2 FILE, path "/i"
            + "03"                                    // stdout: 3 STREAM
            + "01";                                   // stderr: 1 LOG

    /** ENTER body, version 2: tag (u16), length (u32), value. */
    public static final String V2_ENTER = ""
            + "0002"                                  // version 2
            + "0001 00000079"                         // 1 request, 121 bytes:
            + "  0001 00000004 000003e8"              //   1 app_id 1000
            + "  0002 00000004 000003e9"              //   2 uid 1001
            + "  0003 00000004 000003ea"              //   3 gid 1002
            + "  0004 00000004 00000005"              //   4 group 5
            + "  0004 00000004 00000006"              //   4 group 6
            + "  0005 00000002 2f70"                  //   5 app_pkg_path "/p"
            + "  0006 00000002 2f78"                  //   6 app_exec_dir "/x"
            + "  0007 00000002 2f64"                  //   7 app_data_dir "/d"
            + "  0008 00000002 2f75"                  //   8 app_overlay_dir "/u"
            + "  0008 00000002 2f65"                  //   8 app_overlay_dir "/e"
            + "  0009 00000001 68"                    //   9 hostname "h"
            + "  000a 00000001 01"                    //  10 userns true
            + "  000b 00000004 6e6f6e65"              //  11 network "none"
            + "  000c 00000001 01"                    //  12 remove_on_exit true
            + "0002 0000005a"                         // 2 app, 90 bytes:
            + "  0001 00000002 2f62"                  //   1 arg "/b"
            + "  0001 00000002 c3a9"                  //   1 arg "é"
            + "  0002 00000003 413d31"                //   2 env "A=1"
            + "  0003 00000002 2f77"                  //   3 work_dir "/w"
            + "  0004 00000012"                       //   4 stdin, 18 bytes:
            + "    0001 00000004 66696c65"            //     1 kind "file"
            + "    0002 00000002 2f69"                //     2 path "/i"
            + "  0005 0000000c"                       //   5 stdout, 12 bytes:
            + "    0001 00000006 73747265616d"        //     1 kind "stream"
            + "  0006 00000009"                       //   6 stderr, 9 bytes:
            + "    0001 00000003 6c6f67";             //     1 kind "log"

    /**
     * The request list's fields of a request with app_id 1, uid 2, gid 3, paths "/p", "/x", "/d" and the
     * rest left to the defaults: 78 bytes. The vectors below (and ResourceLimitsWireTest's) add to it.
     */
    static final String BASE_FIELDS = ""
            + "  0001 00000004 00000001"              //   1 app_id 1
            + "  0002 00000004 00000002"              //   2 uid 2
            + "  0003 00000004 00000003"              //   3 gid 3
            + "  0005 00000002 2f70"                  //   5 app_pkg_path "/p"
            + "  0006 00000002 2f78"                  //   6 app_exec_dir "/x"
            + "  0007 00000002 2f64"                  //   7 app_data_dir "/d"
            + "  000a 00000001 00"                    //  10 userns false
            + "  000b 00000004 686f7374"              //  11 network "host"
            + "  000c 00000001 00";                   //  12 remove_on_exit false

    /** The app list of ENTER_1_1.app(): "/b", stdin discarded, stdout and stderr to the log. */
    static final String APP_FIELDS = ""
            + "0002 00000039"                         // 2 app, 57 bytes:
            + "  0001 00000002 2f62"                  //   1 arg "/b"
            + "  0004 0000000d"                       //   4 stdin, 13 bytes:
            + "    0001 00000007 64697363617264"      //     1 kind "discard"
            + "  0005 00000009"                       //   5 stdout, 9 bytes:
            + "    0001 00000003 6c6f67"              //     1 kind "log"
            + "  0006 00000009"                       //   6 stderr, 9 bytes:
            + "    0001 00000003 6c6f67";             //     1 kind "log"

    /** A valid request with devices and shared dirs (API 1.1), which only version 2 carries. */
    public static final RockerRequest REQUEST_1_1 = RockerRequest.builder().appId(1).uid(2).gid(3)
            .pkgPath("/p").execDir("/x").dataDir("/d").devices(List.of("/dev/a", "/dev/b"))
            .sharedDirs(List.of(SharedDir.readWrite("/s"), SharedDir.readOnly("/t"))).build();
    public static final Call.Enter ENTER_1_1 = new Call.Enter(REQUEST_1_1,
            new AppSpec(List.of("/b"), Map.of(), null, StdioSpec.DISCARD, StdioSpec.LOG, StdioSpec.LOG));

    /** ENTER body, version 2, with the mandatory tags 13 and 14 (no optional bit 0x8000). */
    public static final String V2_ENTER_1_1 = ""
            + "0002"                                  // version 2
            + "0001 00000090"                         // 1 request, 144 bytes:
            + BASE_FIELDS                             //   1 to 12, 78 bytes
            + "  000d 00000006 2f6465762f61"          //  13 device "/dev/a"
            + "  000d 00000006 2f6465762f62"          //  13 device "/dev/b"
            + "  000e 0000000f"                       //  14 shared_dir, 15 bytes:
            + "    0001 00000002 2f73"                //     1 path "/s"
            + "    0002 00000001 00"                  //     2 read_only false
            + "  000e 0000000f"                       //  14 shared_dir, 15 bytes:
            + "    0001 00000002 2f74"                //     1 path "/t"
            + "    0002 00000001 01"                  //     2 read_only true
            + APP_FIELDS;

    /** A valid request with a seccomp (API 1.1), which only version 2 carries: no filter at all. */
    public static final RockerRequest REQUEST_SECCOMP = RockerRequest.builder().appId(1).uid(2).gid(3)
            .pkgPath("/p").execDir("/x").dataDir("/d").seccomp(RockerRequest.SECCOMP_UNCONFINED).build();
    static final Call.Enter ENTER_SECCOMP = new Call.Enter(REQUEST_SECCOMP, ENTER_1_1.app());

    /** ENTER body, version 2, with the mandatory tag 15 (no optional bit 0x8000), written last. */
    public static final String V2_ENTER_SECCOMP = ""
            + "0002"                                  // version 2
            + "0001 0000005e"                         // 1 request, 94 bytes:
            + BASE_FIELDS                             //   1 to 12, 78 bytes
            + "  000f 0000000a 756e636f6e66696e6564"  //  15 seccomp "unconfined"
            + APP_FIELDS;

    static final RockerResult RESULT = RockerResult.of(RockerError.BUILD_ROCKER_FAILED, 1, 2, "g", "no");

    static final String V1_RESULT = "00000007 00000001 00000002 00000001 67 00000002 6e6f";

    static final String V2_RESULT = ""
            + "0001 00000004 00000007"                // 1 err_no 7 (build_rocker_failed)
            + "0002 00000004 00000001"                // 2 app_pid 1
            + "0003 00000004 00000002"                // 3 guard_pid 2
            + "0004 00000001 67"                      // 4 guard_name "g"
            + "0005 00000002 6e6f";                   // 5 message "no"

    /** Null strings and empty lists are not written; ints, bools and the network always are. */
    static final RockerInfo INFO = new RockerInfo("g", 3, 4, Instant.ofEpochSecond(1700000000, 123),
            RockerRequest.builder().appId(1).uid(2).gid(3).pkgPath("/p").build());

    static final String V2_INFOS = ""
            + "0001 00000077"                         // 1 info, 119 bytes:
            + "  0001 00000001 67"                    //   1 guard_name "g"
            + "  0002 00000004 00000003"              //   2 guard_pid 3
            + "  0003 00000004 00000004"              //   3 app_pid 4
            + "  0004 00000008 000000006553f100"      //   4 created_epoch_seconds 1700000000
            + "  0005 00000004 0000007b"              //   5 created_nanos 123
            + "  0006 0000003e"                       //   6 request, 62 bytes:
            + "    0001 00000004 00000001"            //     1 app_id 1
            + "    0002 00000004 00000002"            //     2 uid 2
            + "    0003 00000004 00000003"            //     3 gid 3
            + "    0005 00000002 2f70"                //     5 app_pkg_path "/p"
            + "    000a 00000001 00"                  //    10 userns false
            + "    000b 00000004 686f7374"            //    11 network "host"
            + "    000c 00000001 00";                 //    12 remove_on_exit false

    static final String V2_EXIT = ""
            + "0001 00000001 01"                      // 1 ended true
            + "0002 00000004 00000089";               // 2 status 137

    @Test
    public void versionOneEnter() throws Exception {
        assertEquals(Hex.normal(V1_ENTER), Hex.of(CallCodec.encode(ENTER, 1)));
        assertEquals(ENTER, CallCodec.decode(new Frame(Protocol.ENTER, Hex.buffer(V1_ENTER))));
    }

    @Test
    public void versionTwoEnter() throws Exception {
        assertEquals(Hex.normal(V2_ENTER), Hex.of(CallCodec.encode(ENTER, 2)));
        assertEquals(Hex.normal(V2_ENTER), Hex.of(CallCodec.encode(ENTER)));
        assertEquals(ENTER, CallCodec.decode(new Frame(Protocol.ENTER, Hex.buffer(V2_ENTER))));
    }

    @Test
    public void versionTwoEnterWithDevicesAndSharedDirs() throws Exception {
        assertEquals(Hex.normal(V2_ENTER_1_1), Hex.of(CallCodec.encode(ENTER_1_1, 2)));
        assertEquals(ENTER_1_1, CallCodec.decode(new Frame(Protocol.ENTER, Hex.buffer(V2_ENTER_1_1))));
        assertEquals(REQUEST_1_1, REQUEST_1_1.validate());
        // INFOS of the same rocker: V2_INFOS's fields 1 to 5 (51 bytes), then field 6 with the request
        // list of V2_ENTER_1_1 (its 144 bytes after "0002 0001 00000090"), with the same tags 13 and 14
        RockerInfo info = new RockerInfo("g", 3, 4, Instant.ofEpochSecond(1700000000, 123), REQUEST_1_1);
        String fields1To5 = Hex.normal(V2_INFOS).substring(12, 12 + 2 * 51);
        String request = Hex.normal(V2_ENTER_1_1).substring(4 + 12, 4 + 12 + 2 * 144);
        String infos = Hex.of(ReplyCodec.infos(List.of(info), 2));
        assertEquals(Hex.normal("0001 000000c9") + fields1To5 + Hex.normal("0006 00000090") + request, infos);
        assertEquals(List.of(info), ReplyCodec.infos(new Frame(Protocol.INFOS, Hex.buffer(infos)), 2));
    }

    @Test
    public void versionTwoEnterWithSeccomp() throws Exception {
        assertEquals(Hex.normal(V2_ENTER_SECCOMP), Hex.of(CallCodec.encode(ENTER_SECCOMP, 2)));
        assertEquals(ENTER_SECCOMP, CallCodec.decode(new Frame(Protocol.ENTER, Hex.buffer(V2_ENTER_SECCOMP))));
        assertEquals(REQUEST_SECCOMP, REQUEST_SECCOMP.validate());
        // without it (Rocker's default filter), the request is the same bytes less tag 15: 94 - 16 = 78
        String seccomp = Hex.normal("000f 0000000a 756e636f6e66696e6564");
        String v2 = Hex.normal(V2_ENTER_SECCOMP);
        String withoutSeccomp = Hex.normal("0002 0001 0000004e") + v2.substring(16, 16 + 2 * 78) + v2.substring(16 + 2 * 94);
        assertEquals(seccomp, v2.substring(16 + 2 * 78, 16 + 2 * 94));
        Call.Enter byDefault = new Call.Enter(REQUEST_SECCOMP.toBuilder().seccomp(null).build(), ENTER_SECCOMP.app());
        assertEquals(withoutSeccomp, Hex.of(CallCodec.encode(byDefault, 2)));
        assertEquals(byDefault, CallCodec.decode(new Frame(Protocol.ENTER, Hex.buffer(withoutSeccomp))));
        // a profile path, after devices and shared dirs: V2_ENTER_1_1's request (144 bytes) with tag 15
        // "/etc/rocker/app.json" (26 bytes) at its end, 170 bytes
        RockerRequest profile = REQUEST_1_1.toBuilder().seccomp("/etc/rocker/app.json").build();
        String v11 = Hex.normal(V2_ENTER_1_1);
        String expected = Hex.normal("0002 0001 000000aa") + v11.substring(16, 16 + 2 * 144)
                + Hex.normal("000f 00000014 2f6574632f726f636b65722f6170702e6a736f6e") + v11.substring(16 + 2 * 144);
        Call.Enter withProfile = new Call.Enter(profile, ENTER_1_1.app());
        assertEquals(expected, Hex.of(CallCodec.encode(withProfile, 2)));
        assertEquals(withProfile, CallCodec.decode(new Frame(Protocol.ENTER, Hex.buffer(expected))));
        assertEquals(profile, profile.validate());
        // INFOS of the rocker: V2_INFOS's fields 1 to 5 (51 bytes), then field 6 with the request list of
        // V2_ENTER_SECCOMP (its 94 bytes), tag 15 included
        RockerInfo info = new RockerInfo("g", 3, 4, Instant.ofEpochSecond(1700000000, 123), REQUEST_SECCOMP);
        String fields1To5 = Hex.normal(V2_INFOS).substring(12, 12 + 2 * 51);
        String infos = Hex.of(ReplyCodec.infos(List.of(info), 2));
        assertEquals(Hex.normal("0001 00000097") + fields1To5 + Hex.normal("0006 0000005e") + v2.substring(16, 16 + 2 * 94), infos);
        assertEquals(List.of(info), ReplyCodec.infos(new Frame(Protocol.INFOS, Hex.buffer(infos)), 2));
    }

    @Test
    public void results() throws Exception {
        assertEquals(Hex.normal(V1_RESULT), Hex.of(ReplyCodec.result(RESULT, 1)));
        assertEquals(Hex.normal(V1_RESULT), Hex.of(ReplyCodec.result(RESULT)));
        assertEquals(RESULT, ReplyCodec.result(new Frame(Protocol.RESULT, Hex.buffer(V1_RESULT))));
        assertEquals(Hex.normal(V2_RESULT), Hex.of(ReplyCodec.result(RESULT, 2)));
        assertEquals(RESULT, ReplyCodec.result(new Frame(Protocol.RESULT, Hex.buffer(V2_RESULT))));
    }

    @Test
    public void versionTwoInfos() throws Exception {
        assertEquals(Hex.normal(V2_INFOS), Hex.of(ReplyCodec.infos(List.of(INFO), 2)));
        assertEquals(List.of(INFO), ReplyCodec.infos(new Frame(Protocol.INFOS, Hex.buffer(V2_INFOS)), 2));
        assertEquals("", Hex.of(ReplyCodec.infos(List.of(), 2)));
    }

    @Test
    public void versionTwoExit() throws Exception {
        assertEquals(Hex.normal(V2_EXIT), Hex.of(ReplyCodec.exit(OptionalInt.of(137), 2)));
        assertEquals(OptionalInt.of(137), ReplyCodec.exit(new Frame(Protocol.EXIT, Hex.buffer(V2_EXIT)), 2));
        String notEnded = "0001 00000001 00 0002 00000004 00000000";
        assertEquals(Hex.normal(notEnded), Hex.of(ReplyCodec.exit(OptionalInt.empty(), 2)));
        assertEquals(OptionalInt.empty(), ReplyCodec.exit(new Frame(Protocol.EXIT, Hex.buffer(notEnded)), 2));
    }

    /** v1 writes enums as fixed codes, never ordinals: a new constant must get a code here and in docs/protocol.md. */
    @Test
    public void everyEnumConstantHasItsFixedV1Code() {
        assertEquals(List.of(0, 1), java.util.Arrays.stream(NetworkMode.values()).map(RequestCodecV1::code).toList());
        assertEquals(List.of(0, 1, 2, 3), java.util.Arrays.stream(StdioSpec.Kind.values()).map(AppCodecV1::code).toList());
        assertEquals(0, RequestCodecV1.code(NetworkMode.HOST));
        assertEquals(1, RequestCodecV1.code(NetworkMode.NONE));
        assertEquals(1, AppCodecV1.code(StdioSpec.Kind.LOG));
        assertEquals(3, AppCodecV1.code(StdioSpec.Kind.STREAM));
    }
}
