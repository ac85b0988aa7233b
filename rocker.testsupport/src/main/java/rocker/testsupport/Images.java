package rocker.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

/** Builds real squashfs images with mksquashfs for the tests. */
public final class Images {
    private Images() {
    }

    /** An image holding the given files (path relative to the image root -> content); all files executable. */
    public static Path build(Path workDir, String name, Map<String, String> files) throws IOException, InterruptedException {
        Path src = Files.createDirectories(workDir.resolve(name + ".src"));
        for (Map.Entry<String, String> f : files.entrySet()) {
            Path p = src.resolve(f.getKey());
            Files.createDirectories(p.getParent());
            Files.writeString(p, f.getValue());
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return pack(workDir, name, src);
    }

    /** An image of everything in {@code src}: {@code workDir/NAME.squashfs}. */
    public static Path pack(Path workDir, String name, Path src) throws IOException, InterruptedException {
        Path image = workDir.resolve(name + ".squashfs");
        Process p = new ProcessBuilder("mksquashfs", src.toString(), image.toString(), "-noappend", "-quiet", "-no-progress")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IOException("mksquashfs failed: " + out);
        }
        // whatever the umask: a group-writable image would be copied before it is mounted (docs/security.md)
        Files.setPosixFilePermissions(image, PosixFilePermissions.fromString("rw-r--r--"));
        return image;
    }

    /**
     * {@code workDir/NAME.squashfs}, a corrupt image: 8 KiB that start with the squashfs magic ("hsqs")
     * and hold nothing else, so that mounting it fails.
     */
    public static Path corrupt(Path workDir, String name) throws IOException {
        byte[] junk = new byte[8192];
        junk[0] = 'h';
        junk[1] = 's';
        junk[2] = 'q';
        junk[3] = 's';
        return Files.write(workDir.resolve(name + ".squashfs"), junk);
    }
}
