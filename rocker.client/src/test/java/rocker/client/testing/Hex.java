package rocker.client.testing;

import java.nio.ByteBuffer;

/** Hex strings for fixed byte vectors in tests; whitespace is ignored. */
public final class Hex {
    private Hex() {
    }

    public static byte[] bytes(String hex) {
        String h = hex.replaceAll("\\s+", "");
        if (h.length() % 2 != 0) {
            throw new IllegalArgumentException("odd number of hex digits");
        }
        byte[] b = new byte[h.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }

    public static ByteBuffer buffer(String hex) {
        return ByteBuffer.wrap(bytes(hex));
    }

    public static String of(ByteBuffer b) {
        StringBuilder s = new StringBuilder();
        ByteBuffer d = b.duplicate();
        while (d.hasRemaining()) {
            s.append(String.format("%02x", d.get() & 0xff));
        }
        return s.toString();
    }

    /** {@code hex} without whitespace, lower case: comparable with {@link #of}. */
    public static String normal(String hex) {
        return hex.replaceAll("\\s+", "").toLowerCase();
    }
}
