package rocker.testsupport;

import java.nio.file.Files;
import java.nio.file.Path;

/** Waits for what an app writes to a host file (its stdout redirected there). */
public final class Apps {
    private Apps() {
    }

    /** The file's text once it contains {@code marker}; fails after 10 s. */
    public static String awaitOutput(Path file, String marker) throws Exception {
        long end = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < end) {
            if (Files.exists(file)) {
                String text = Files.readString(file);
                if (text.contains(marker)) {
                    return text;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no '" + marker + "' in " + file + ": "
                + (Files.exists(file) ? Files.readString(file) : "(missing)"));
    }
}
