package rocker.client.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads a version-2 field list strictly. The whole list is checked when the reader is made: each
 * field header must be complete, each length must fit the bytes left (before anything is allocated),
 * a tag the reader does not know is an error unless it has the {@link Field#OPTIONAL} bit (then it
 * is skipped), a tag that does not repeat may occur once, and a fixed-size value must have exactly its
 * size. The getters then check the values themselves (booleans 0 or 1, well-formed UTF-8). Every
 * violation is a {@link ProtocolException} naming the field; absent fields give the caller's default.
 */
final class FieldReader {
    private final ByteBuffer buf;
    private final String where;
    private final String prefix;
    private final Field[] known;
    /** Per known field: offset and length of each occurrence, in order. */
    private final int[][] spans;
    private final int[] counts;

    private FieldReader(ByteBuffer buf, int start, int end, String where, String prefix, Field[] known)
            throws ProtocolException {
        this.buf = buf;
        this.where = where;
        this.prefix = prefix;
        this.known = known;
        this.spans = new int[known.length][];
        this.counts = new int[known.length];
        parse(start, end);
    }

    /**
     * A reader of the field list that fills {@code list} (from its position to its limit).
     *
     * @param where the list's name in messages, e.g. the frame type {@code ENTER}; its fields are named
     *        without a prefix
     */
    static FieldReader of(ByteBuffer list, String where, Field... known) throws ProtocolException {
        ByteBuffer b = list.slice();
        return new FieldReader(b, 0, b.limit(), where, "", known);
    }

    /** The nested field list of {@code f}, named {@code <this list>.<f>}; an empty list when absent. */
    FieldReader nested(Field f, Field... fields) throws ProtocolException {
        int k = index(f);
        String name = prefix + f.name();
        if (counts[k] == 0) {
            return new FieldReader(buf, 0, 0, name, name + ".", fields);
        }
        return new FieldReader(buf, spans[k][0], spans[k][0] + spans[k][1], name, name + ".", fields);
    }

    /** The nested field lists of the repeated {@code f}, in order, named {@code <f>[i]}. */
    List<FieldReader> nestedAll(Field f, Field... fields) throws ProtocolException {
        int k = index(f);
        List<FieldReader> list = new ArrayList<>(counts[k]);
        for (int i = 0; i < counts[k]; i++) {
            String name = prefix + f.name() + "[" + i + "]";
            int off = spans[k][2 * i];
            list.add(new FieldReader(buf, off, off + spans[k][2 * i + 1], name, name + ".", fields));
        }
        return list;
    }

    boolean has(Field f) {
        return counts[index(f)] > 0;
    }

    /** Fails unless {@code f} is present. */
    FieldReader require(Field f) throws ProtocolException {
        if (!has(f)) {
            throw new ProtocolException(label(f) + ": required");
        }
        return this;
    }

    /** The name of {@code f} in messages, e.g. {@code app.stdout.kind}. */
    String label(Field f) {
        return prefix + f.name();
    }

    int i32(Field f, int absent) {
        int k = index(f);
        return counts[k] == 0 ? absent : buf.getInt(spans[k][0]);
    }

    long i64(Field f, long absent) {
        int k = index(f);
        return counts[k] == 0 ? absent : buf.getLong(spans[k][0]);
    }

    boolean bool(Field f, boolean absent) throws ProtocolException {
        int k = index(f);
        if (counts[k] == 0) {
            return absent;
        }
        int v = buf.get(spans[k][0]) & 0xff;
        if (v > 1) {
            throw new ProtocolException(label(f) + ": boolean must be 0 or 1, not " + v);
        }
        return v == 1;
    }

    /** The string, or null when absent. */
    String str(Field f) throws ProtocolException {
        int k = index(f);
        return counts[k] == 0 ? null : utf8(spans[k][0], spans[k][1], label(f));
    }

    /** The raw bytes, or null when absent. */
    byte[] bytes(Field f) {
        int k = index(f);
        if (counts[k] == 0) return null;
        byte[] b = new byte[spans[k][1]];
        buf.get(spans[k][0], b);
        return b;
    }

    /** Every occurrence of a repeated i32, in order. */
    List<Integer> ints(Field f) {
        int k = index(f);
        List<Integer> list = new ArrayList<>(counts[k]);
        for (int i = 0; i < counts[k]; i++) {
            list.add(buf.getInt(spans[k][2 * i]));
        }
        return list;
    }

    /** Every occurrence of a repeated string, in order. */
    List<String> strs(Field f) throws ProtocolException {
        int k = index(f);
        List<String> list = new ArrayList<>(counts[k]);
        for (int i = 0; i < counts[k]; i++) {
            list.add(utf8(spans[k][2 * i], spans[k][2 * i + 1], label(f) + "[" + i + "]"));
        }
        return list;
    }

    /** {@code s} quoted for a message, cut short when long. */
    static String quoted(String s) {
        return "'" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "'";
    }

    private void parse(int start, int end) throws ProtocolException {
        int pos = start;
        while (pos < end) {
            if (end - pos < 6) {
                throw new ProtocolException(where + ": truncated field header (" + (end - pos) + " bytes left)");
            }
            int tag = buf.getShort(pos) & 0xffff;
            long length = Integer.toUnsignedLong(buf.getInt(pos + 2));
            pos += 6;
            int k = indexOfTag(tag);
            if (k < 0 && (tag & Field.OPTIONAL) == 0) {
                throw new ProtocolException("unknown field tag " + tag + " in " + where);
            }
            String label = k < 0 ? "field tag " + tag + " in " + where : prefix + known[k].name();
            if (length > end - pos) {
                throw new ProtocolException(label + ": length " + length + " exceeds the " + (end - pos) + " bytes left");
            }
            if (k >= 0) {
                add(k, pos, (int) length);
            }
            pos += (int) length;
        }
    }

    private void add(int k, int offset, int length) throws ProtocolException {
        Field f = known[k];
        if (counts[k] > 0 && !f.repeated()) {
            throw new ProtocolException(prefix + f.name() + ": field tag " + f.tag() + " is given twice");
        }
        if (f.type().size >= 0 && length != f.type().size) {
            throw new ProtocolException(prefix + f.name() + ": " + f.type().label + " must be " + f.type().size
                    + " bytes, not " + length);
        }
        if (spans[k] == null) {
            spans[k] = new int[2];
        } else if (spans[k].length == 2 * counts[k]) {
            spans[k] = Arrays.copyOf(spans[k], 4 * counts[k]);
        }
        spans[k][2 * counts[k]] = offset;
        spans[k][2 * counts[k] + 1] = length;
        counts[k]++;
    }

    private int indexOfTag(int tag) {
        for (int k = 0; k < known.length; k++) {
            if (known[k].tag() == tag) {
                return k;
            }
        }
        return -1;
    }

    private int index(Field f) {
        for (int k = 0; k < known.length; k++) {
            if (known[k] == f) {
                return k;
            }
        }
        throw new IllegalArgumentException(f.name() + " is not a field of " + where);
    }

    private String utf8(int offset, int length, String label) throws ProtocolException {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(buf.slice(offset, length)).toString();
        } catch (CharacterCodingException e) {
            throw new ProtocolException(label + ": not valid UTF-8");
        }
    }
}
