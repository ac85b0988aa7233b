package rocker.testsupport;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;

/** The private work dirs of tests and the bench: made, and removed afterwards (never through a symlink). */
public final class WorkDirs {
    private WorkDirs() {
    }

    /**
     * A new dir {@code parent/PREFIX<random>}, mode 0755: the apps run as other users (uid 1000) and
     * must reach their exec dirs below it.
     */
    public static Path create(Path parent, String prefix) throws IOException {
        Path work = Files.createTempDirectory(parent, prefix);
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
        return work;
    }

    /** Deletes a tree, symlinks as links; fails on the first entry that cannot be deleted (e.g. a mount left under it). */
    public static void delete(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                if (exc != null) {
                    throw exc;
                }
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /**
     * Deletes what it can of a tree (null: nothing), symlinks as links; whatever cannot be deleted stays,
     * for the caller's own checks to report.
     */
    public static void deleteQuietly(Path root) {
        if (root == null) {
            return;
        }
        try {
            if (Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
                try (DirectoryStream<Path> s = Files.newDirectoryStream(root)) {
                    for (Path p : s) {
                        deleteQuietly(p);
                    }
                }
            }
            Files.deleteIfExists(root);
        } catch (IOException e) {
            // left for the caller's checks
        }
    }
}
