package rocker.client.protocol;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Builds a version-2 field list: for each field {@code u16 tag, u32 length, value}. Null strings are
 * left out (the receiver's default for an absent string is null); everything else is written.
 */
final class FieldWriter {
    private final WireWriter out = new WireWriter();

    FieldWriter i32(Field f, int v) {
        header(f, Field.Type.I32, 4).i32(v);
        return this;
    }

    FieldWriter i64(Field f, long v) {
        header(f, Field.Type.I64, 8).i64(v);
        return this;
    }

    FieldWriter bool(Field f, boolean v) {
        header(f, Field.Type.BOOL, 1).bool(v);
        return this;
    }

    /** A string as its raw UTF-8 bytes; nothing when {@code s} is null. */
    FieldWriter str(Field f, String s) {
        if (s != null) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            header(f, Field.Type.STR, b.length).bytes(b, 0, b.length);
        }
        return this;
    }

    /** Raw bytes; nothing when {@code b} is null. */
    FieldWriter bytes(Field f, byte[] b) {
        if (b != null) {
            header(f, Field.Type.BYTES, b.length).bytes(b, 0, b.length);
        }
        return this;
    }

    /** One occurrence of a repeated field per element, in order. */
    FieldWriter strs(Field f, List<String> values) {
        values.forEach(v -> str(f, v));
        return this;
    }

    /** One occurrence of a repeated field per element, in order. */
    FieldWriter ints(Field f, List<Integer> values) {
        values.forEach(v -> i32(f, v));
        return this;
    }

    /** A nested field list. */
    FieldWriter nested(Field f, FieldWriter inner) {
        byte[] b = inner.toByteArray();
        header(f, Field.Type.NESTED, b.length).bytes(b, 0, b.length);
        return this;
    }

    byte[] toByteArray() {
        return out.toByteArray();
    }

    private WireWriter header(Field f, Field.Type type, int length) {
        if (f.type() != type) {
            throw new IllegalArgumentException(f.name() + " is a " + f.type().label + ", not a " + type.label);
        }
        return out.u16(f.tag()).i32(length);
    }
}
