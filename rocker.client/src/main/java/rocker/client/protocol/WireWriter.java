package rocker.client.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/** Builds a frame body from big-endian integers, booleans and length-prefixed UTF-8 strings. */
@ProviderType
public final class WireWriter {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(256);

    public WireWriter u8(int v) {
        out.write(v);
        return this;
    }

    public WireWriter u16(int v) {
        out.write(v >>> 8);
        out.write(v);
        return this;
    }

    public WireWriter i32(int v) {
        out.write(v >>> 24);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
        return this;
    }

    public WireWriter i64(long v) {
        return i32((int) (v >>> 32)).i32((int) v);
    }

    public WireWriter bool(boolean v) {
        return u8(v ? 1 : 0);
    }

    /** A string: i32 byte length then UTF-8 bytes. */
    public WireWriter str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        i32(b.length);
        out.write(b, 0, b.length);
        return this;
    }

    /** A string that may be null: length -1 stands for null. */
    public WireWriter nullableStr(String s) {
        return s == null ? i32(-1) : str(s);
    }

    public WireWriter strs(List<String> list) {
        i32(list.size());
        list.forEach(this::str);
        return this;
    }

    public WireWriter ints(List<Integer> list) {
        i32(list.size());
        list.forEach(this::i32);
        return this;
    }

    public WireWriter bytes(byte[] b, int off, int len) {
        out.write(b, off, len);
        return this;
    }

    public ByteBuffer toBuffer() {
        return ByteBuffer.wrap(out.toByteArray());
    }

    /** A copy of the bytes written so far. */
    public byte[] toByteArray() {
        return out.toByteArray();
    }
}
