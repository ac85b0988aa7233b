package rocker.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

import rocker.api.RockerError;
import rocker.api.RockerException;

/** Makes a squashfs image of a folder with {@code mksquashfs} (squashfs-tools). */
public final class Squashfs {
    private static final List<String> EXTRA_DIRS = List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin");

    private final Function<String, Optional<Path>> locator;

    /** Finds {@code mksquashfs} on PATH and in the sbin dirs. */
    public Squashfs() {
        this(Squashfs::onPath);
    }

    Squashfs(Function<String, Optional<Path>> locator) {
        this.locator = locator;
    }

    /**
     * Packs {@code dir} into {@code image} (replacing it); the tool's output goes to {@code log}.
     *
     * @throws RockerException ({@code sys}) when the tool is missing or fails
     */
    public void pack(Path dir, Path image, PrintStream log) {
        Path tool = locator.apply("mksquashfs").orElseThrow(() -> new RockerException(RockerError.SYS,
                "mksquashfs not found: install squashfs-tools (e.g. apt-get install squashfs-tools)"));
        List<String> cmd = List.of(tool.toString(), dir.toString(), image.toString(), "-noappend", "-no-progress");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.PIPE).start();
            p.getOutputStream().close();
            try (InputStream in = p.getInputStream()) {
                in.transferTo(log);
            }
            int status = p.waitFor();
            if (status != 0) {
                throw new RockerException(RockerError.SYS, "mksquashfs failed with status " + status);
            }
        } catch (IOException e) {
            throw new RockerException(RockerError.SYS, "cannot run " + tool + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RockerException(RockerError.SYS, "interrupted while running mksquashfs");
        }
    }

    private static Optional<Path> onPath(String name) {
        List<String> dirs = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            dirs.addAll(Arrays.asList(path.split(":")));
        }
        dirs.addAll(EXTRA_DIRS);
        return dirs.stream().filter(d -> !d.isEmpty()).map(d -> Path.of(d, name))
                .filter(Files::isExecutable).findFirst();
    }
}
