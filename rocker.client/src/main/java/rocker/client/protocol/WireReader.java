package rocker.client.protocol;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Reads a frame body strictly: every length is checked against the bytes that are left, every string
 * must be well-formed UTF-8, booleans are 0 or 1, and {@link #end()} rejects trailing bytes. Any
 * violation is a {@link ProtocolException} naming the field.
 */
@ProviderType
public final class WireReader {
    private final ByteBuffer in;

    public WireReader(ByteBuffer body) {
        this.in = body.duplicate();
    }

    public int u8(String field) throws ProtocolException {
        need(1, field);
        return in.get() & 0xff;
    }

    public int u16(String field) throws ProtocolException {
        need(2, field);
        return in.getShort() & 0xffff;
    }

    public int i32(String field) throws ProtocolException {
        need(4, field);
        return in.getInt();
    }

    public long i64(String field) throws ProtocolException {
        need(8, field);
        return in.getLong();
    }

    public boolean bool(String field) throws ProtocolException {
        int v = u8(field);
        if (v > 1) {
            throw new ProtocolException(field + ": boolean must be 0 or 1, not " + v);
        }
        return v == 1;
    }

    public String str(String field) throws ProtocolException {
        int len = i32(field);
        if (len < 0) {
            throw new ProtocolException(field + ": negative string length " + len);
        }
        return utf8(len, field);
    }

    public String nullableStr(String field) throws ProtocolException {
        int len = i32(field);
        if (len == -1) {
            return null;
        }
        if (len < 0) {
            throw new ProtocolException(field + ": negative string length " + len);
        }
        return utf8(len, field);
    }

    public List<String> strs(String field) throws ProtocolException {
        int n = count(field, 4);
        List<String> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            list.add(str(field + "[" + i + "]"));
        }
        return list;
    }

    public List<Integer> ints(String field) throws ProtocolException {
        int n = count(field, 4);
        List<Integer> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            list.add(i32(field + "[" + i + "]"));
        }
        return list;
    }

    /** An element count, checked against the bytes left (each element takes at least {@code minBytes}). */
    public int count(String field, int minBytes) throws ProtocolException {
        int n = i32(field);
        if (n < 0 || (long) n * minBytes > in.remaining()) {
            throw new ProtocolException(field + ": count " + n + " does not fit the frame");
        }
        return n;
    }

    /** All bytes that are left. */
    public byte[] rest() {
        byte[] b = new byte[in.remaining()];
        in.get(b);
        return b;
    }

    /** Fails when bytes are left over. */
    public void end() throws ProtocolException {
        if (in.hasRemaining()) {
            throw new ProtocolException(in.remaining() + " unexpected bytes at the end of the frame");
        }
    }

    private String utf8(int len, String field) throws ProtocolException {
        need(len, field);
        ByteBuffer slice = in.slice();
        slice.limit(len);
        in.position(in.position() + len);
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(slice);
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw new ProtocolException(field + ": not valid UTF-8");
        }
    }

    private void need(int n, String field) throws ProtocolException {
        if (in.remaining() < n) {
            throw new ProtocolException(field + ": frame ends early");
        }
    }
}
