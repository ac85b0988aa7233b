package rocker.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The calling process's effective uid and gid, as the kernel will report them to the server.
 *
 * @param uid effective uid
 * @param gid effective gid
 */
public record Identity(int uid, int gid) {

    /** This process's identity, from {@code /proc/self/status}. */
    public static Identity ofThisProcess() {
        try {
            int uid = -1;
            int gid = -1;
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    uid = effective(line);
                } else if (line.startsWith("Gid:")) {
                    gid = effective(line);
                }
            }
            return new Identity(uid, gid);
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot read /proc/self/status: " + e.getMessage(), e);
        }
    }

    /** "Uid:\treal\teffective\tsaved\tfs": the second number. */
    private static int effective(String line) {
        return Integer.parseInt(line.substring(4).trim().split("\\s+")[1]);
    }
}
