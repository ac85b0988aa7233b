package rocker.client.protocol;

import java.nio.ByteBuffer;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.List;
import java.util.OptionalInt;

import org.osgi.annotation.versioning.ProviderType;
import rocker.api.PreparedRocker;
import rocker.api.RockerError;
import rocker.api.RockerInfo;
import rocker.api.RockerResult;
import rocker.api.RockerStats;

/**
 * Bodies of the server's response frames RESULT, INFOS and EXIT, in the version of the request (see
 * {@link ReplyCodecV1}, {@link ReplyCodecV2}).
 *
 * <p>A RESULT can come in either layout whatever version was asked: the server answers in version 1
 * when it has not read a version it speaks (server busy, bad frame, request timeout, unsupported
 * version). {@link #result(Frame)} tells the layouts apart by the first two bytes of the body: 0x0000
 * or 0xFFFF (the high half of a version-1 {@code err_no}, -1 to 10) is version 1; version 2 never uses
 * the tags 0 and 0xFFFF, and its RESULT starts with a tag.
 */
@ProviderType
public final class ReplyCodec {
    private ReplyCodec() {
    }

    /** A version-1 RESULT: what the server sends before it knows the request's version. */
    public static ByteBuffer result(RockerResult r) {
        return ReplyCodecV1.result(r);
    }

    public static ByteBuffer result(RockerResult r, int version) {
        return Protocol.checkVersion(version) == Protocol.V1 ? ReplyCodecV1.result(r) : ReplyCodecV2.result(r);
    }

    /**
     * The RESULT of PREPARE (version 2 only: there is no PREPARE in version 1), with the filter and the
     * cgroups of a ready rocker, and {@code errno} (0: none) for a refusal the C library reports with one.
     */
    public static ByteBuffer prepared(PreparedRocker p, int errno) {
        return ReplyCodecV2.prepared(p, errno);
    }

    /** Decodes PREPARE's RESULT (version 2). */
    public static PreparedRocker prepared(Frame f) throws ProtocolException {
        expect(f, Protocol.RESULT);
        if (isV1Result(f.body())) return PreparedRocker.failed(ReplyCodecV1.result(f.body()));
        return ReplyCodecV2.prepared(f.body());
    }

    /** The errno a version-2 RESULT carries, 0 when none (or a version-1 RESULT). */
    public static int errno(Frame f) throws ProtocolException {
        expect(f, Protocol.RESULT);
        return isV1Result(f.body()) ? 0 : ReplyCodecV2.errno(f.body());
    }

    /** Decodes a RESULT in either layout. */
    public static RockerResult result(Frame f) throws ProtocolException {
        expect(f, Protocol.RESULT);
        return isV1Result(f.body()) ? ReplyCodecV1.result(f.body()) : ReplyCodecV2.result(f.body());
    }

    /**
     * Whether {@code f} is a version-1 RESULT that refuses {@code version}: the answer of a server that
     * does not speak it, to which the request can be sent again in version 1.
     */
    public static boolean refusesVersion(Frame f, int version) {
        if (f.type() != Protocol.RESULT || !isV1Result(f.body())) {
            return false;
        }
        try {
            RockerResult r = ReplyCodecV1.result(f.body());
            return r.error() == RockerError.PARAM_INVALID
                    && r.message().contains("protocol version " + version + " is not supported");
        } catch (ProtocolException e) {
            return false;
        }
    }

    /**
     * Why {@code infos} cannot be sent in {@code version}, naming the rocker, the field and its value, or
     * null when they can: version 1 has no devices, no shared dirs and no seccomp, and a rocker is never
     * listed without them.
     */
    public static String unfit(List<RockerInfo> infos, int version) {
        if (Protocol.checkVersion(version) != Protocol.V1) {
            return null;
        }
        for (RockerInfo i : infos) {
            String uncarried = RequestCodecV1.uncarried(i.request());
            if (uncarried != null) {
                return "rocker " + i.guardName() + ": " + uncarried + ": " + CallCodec.NOT_IN_V1 + " (list in version 2)";
            }
        }
        return null;
    }

    /** @throws IllegalArgumentException for infos that {@code version} cannot carry ({@link #unfit}) */
    public static ByteBuffer infos(List<RockerInfo> infos, int version) {
        return Protocol.checkVersion(version) == Protocol.V1 ? ReplyCodecV1.infos(infos) : ReplyCodecV2.infos(infos);
    }

    /** Decodes INFOS; a RESULT instead is an {@link ErrorReplyException}. */
    public static List<RockerInfo> infos(Frame f, int version) throws ProtocolException {
        expect(f, Protocol.INFOS);
        return Protocol.checkVersion(version) == Protocol.V1 ? ReplyCodecV1.infos(f.body()) : ReplyCodecV2.infos(f.body());
    }

    /**
     * STATS, the answer to the STATS request: version 2 only.
     *
     * @throws IllegalArgumentException in version 1, which has no STATS
     */
    public static ByteBuffer stats(RockerStats stats, int version) {
        if (Protocol.checkVersion(version) == Protocol.V1) {
            throw new IllegalArgumentException("protocol version 1 has no STATS reply");
        }
        return ReplyCodecV2.statsReply(stats);
    }

    /** Decodes a STATS reply (version 2); a RESULT instead is an {@link ErrorReplyException}. */
    public static RockerStats stats(Frame f) throws ProtocolException {
        expect(f, Protocol.STATS_REPLY);
        return ReplyCodecV2.statsReply(f.body());
    }

    /** EXITED, on a watch connection (version 2 only). */
    public static ByteBuffer exited(AppExit x) {
        return ReplyCodecV2.exited(x);
    }

    /** Decodes EXITED; a RESULT instead is an {@link ErrorReplyException}. */
    public static AppExit exited(Frame f) throws ProtocolException {
        expect(f, Protocol.EXITED);
        return ReplyCodecV2.exited(f.body());
    }

    /** EXIT: whether the app ended, then its status. */
    public static ByteBuffer exit(OptionalInt status, int version) {
        return Protocol.checkVersion(version) == Protocol.V1 ? ReplyCodecV1.exit(status) : ReplyCodecV2.exit(status);
    }

    /** Decodes EXIT; a RESULT instead is an {@link ErrorReplyException}. */
    public static OptionalInt exit(Frame f, int version) throws ProtocolException {
        expect(f, Protocol.EXIT);
        return Protocol.checkVersion(version) == Protocol.V1 ? ReplyCodecV1.exit(f.body()) : ReplyCodecV2.exit(f.body());
    }

    static Instant instant(long seconds, int nanos, String field) throws ProtocolException {
        if (nanos < 0 || nanos > 999_999_999) {
            throw new ProtocolException(field + ": out of range");
        }
        try {
            return Instant.ofEpochSecond(seconds, nanos);
        } catch (DateTimeException e) {
            throw new ProtocolException(field + ": the time is out of range");
        }
    }

    private static boolean isV1Result(ByteBuffer body) {
        if (body.remaining() < 2) {
            return false;
        }
        int first = body.getShort(body.position()) & 0xffff;
        return first == 0 || first == 0xffff;
    }

    private static void expect(Frame f, byte type) throws ProtocolException {
        if (f.type() == Protocol.RESULT && type != Protocol.RESULT) {
            throw new ErrorReplyException(result(f));
        }
        if (f.type() != type) {
            throw new ProtocolException(String.format("expected frame type 0x%02x, got 0x%02x", type & 0xff, f.type() & 0xff));
        }
    }
}
