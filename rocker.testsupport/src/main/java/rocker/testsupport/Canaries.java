package rocker.testsupport;

import static org.junit.Assert.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.TreeMap;

/**
 * Root-only files and dirs an attacker aims at (a root 0700 dir holding a root 0600 file), and what they
 * were: content, mode and owner of each entry, and the dir's listing. {@link #assertUnchanged()} says
 * the host was not touched through them.
 */
public final class Canaries {
    public final Path dir;
    public final Path file;
    private final Map<String, String> before;

    /** {@code parent/canary/secret}. */
    public Canaries(Path parent) throws IOException {
        dir = Files.createDirectory(parent.resolve("canary"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        file = Files.writeString(dir.resolve("secret"), "root only\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        before = snapshot();
    }

    private Map<String, String> snapshot() throws IOException {
        Map<String, String> s = new TreeMap<>();
        try (var entries = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid", LinkOption.NOFOLLOW_LINKS);
                String content = Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) ? Files.readString(p) : "(dir)";
                s.put(dir.relativize(p).toString(), Integer.toOctalString((Integer) a.get("mode")) + " " + a.get("uid") + ":"
                        + a.get("gid") + " " + content);
            }
        }
        return s;
    }

    public void assertUnchanged() throws IOException {
        assertEquals("the canaries (content, mode, owner, no new entry) are unchanged", before, snapshot());
    }
}
