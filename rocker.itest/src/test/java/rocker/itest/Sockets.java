package rocker.itest;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** The listening Unix sockets this JVM holds, as the kernel sees them ({@code /proc/self/fd}, {@code /proc/net/unix}). */
final class Sockets {
    /** __SO_ACCEPTCON in /proc/net/unix's Flags column: a listening socket. */
    private static final int ACCEPTING = 0x10000;

    private Sockets() {
    }

    /** The inodes of the listening Unix sockets among this JVM's fds. */
    static Set<String> listeningUnix() throws IOException {
        Set<String> ours = new HashSet<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path fd : fds) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        ours.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        }
        Set<String> out = new TreeSet<>();
        List<String> lines = Files.readAllLines(Path.of("/proc/self/net/unix"));
        for (String line : lines.subList(1, lines.size())) {
            // Num RefCount Protocol Flags Type St Inode [Path]
            String[] f = line.trim().split("\\s+");
            if (f.length >= 7 && ours.contains(f[6]) && (Integer.parseInt(f[3], 16) & ACCEPTING) != 0) {
                out.add(f[6] + (f.length > 7 ? " " + f[7] : ""));
            }
        }
        return out;
    }
}
