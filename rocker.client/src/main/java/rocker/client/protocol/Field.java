package rocker.client.protocol;

/**
 * One field of a version-2 field list (docs/protocol.md): its tag, its name in error messages, the
 * type of its value and whether it may occur more than once.
 *
 * @param tag the full 16-bit tag (bit {@link #OPTIONAL} included, if the field has it)
 * @param name the field's name in messages
 * @param type the type of its value
 * @param repeated whether the tag may occur more than once (occurrences keep their order)
 */
record Field(int tag, String name, Type type, boolean repeated) {
    /** Tag bit: a receiver that does not know the tag skips the field. */
    static final int OPTIONAL = 0x8000;

    /** Value types; fixed-size types must have exactly {@link #size} bytes. */
    enum Type {
        I32("i32", 4), I64("i64", 8), BOOL("bool", 1), STR("str", -1), NESTED("nested", -1), BYTES("bytes", -1);

        final String label;
        /** The exact value length, or -1 for any length. */
        final int size;

        Type(String label, int size) {
            this.label = label;
            this.size = size;
        }
    }

    Field {
        if (tag <= 0 || tag > 0xffff || (tag & 0x7fff) == 0 || (tag & 0x7fff) == 0x7fff) {
            throw new IllegalArgumentException("tag " + tag + " is reserved or out of range");
        }
    }

    static Field i32(int tag, String name) {
        return new Field(tag, name, Type.I32, false);
    }

    static Field i64(int tag, String name) {
        return new Field(tag, name, Type.I64, false);
    }

    static Field bool(int tag, String name) {
        return new Field(tag, name, Type.BOOL, false);
    }

    static Field str(int tag, String name) {
        return new Field(tag, name, Type.STR, false);
    }

    static Field bytes(int tag, String name) {
        return new Field(tag, name, Type.BYTES, false);
    }

    static Field nested(int tag, String name) {
        return new Field(tag, name, Type.NESTED, false);
    }

    /** This field, allowed to occur any number of times. */
    Field repeating() {
        return new Field(tag, name, type, true);
    }
}
