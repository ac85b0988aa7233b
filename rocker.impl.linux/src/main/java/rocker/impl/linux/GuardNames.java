package rocker.impl.linux;

import java.security.SecureRandom;
import java.util.function.Predicate;

/** Random guard names: "rk" and 13 base-32 characters from a CSPRNG (65 bits), the kernel's 15-character limit. */
final class GuardNames {
    static final String PREFIX = "rk";
    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
    private final SecureRandom random = new SecureRandom();

    /** A fresh name for which {@code taken} is false. */
    String next(Predicate<String> taken) {
        for (;;) {
            StringBuilder b = new StringBuilder(PREFIX);
            byte[] bytes = new byte[13];
            random.nextBytes(bytes);
            for (byte x : bytes) {
                b.append(ALPHABET[x & 31]);
            }
            String name = b.toString();
            if (!taken.test(name)) return name;
        }
    }

    static boolean looksLikeGuardName(String s) {
        return s != null && s.length() == 15 && s.startsWith(PREFIX) && s.chars().allMatch(c -> c >= 'a' && c <= 'z' || c >= '2' && c <= '7');
    }
}
