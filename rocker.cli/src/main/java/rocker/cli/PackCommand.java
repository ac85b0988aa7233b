package rocker.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** {@code rocker pack DIR FILE}: a squashfs image of a folder, made by mksquashfs. */
final class PackCommand {
    static final String USAGE = String.join("\n",
            "Usage: rocker pack DIR FILE",
            "",
            "Makes the squashfs image FILE (replaced if it exists) from the folder DIR, with mksquashfs",
            "(package squashfs-tools). Its output goes to stderr.",
            "",
            "  --help            this text");

    private final CliEnvironment env;

    PackCommand(CliEnvironment env) {
        this.env = env;
    }

    int run(List<String> args) throws UsageException {
        if (ArgCursor.onlyHelp(args)) {
            env.out().println(USAGE);
            return 0;
        }
        if (args.size() != 2) {
            throw new UsageException("expected DIR and FILE, got " + args);
        }
        Path dir = env.cwd().resolve(args.get(0)).normalize();
        Path image = env.cwd().resolve(args.get(1)).normalize();
        if (!Files.isDirectory(dir)) {
            throw new UsageException("DIR '" + args.get(0) + "' is not a directory");
        }
        if (image.getParent() != null && !Files.isDirectory(image.getParent())) {
            throw new UsageException("FILE '" + args.get(1) + "': its directory does not exist");
        }
        if (Files.isDirectory(image)) {
            throw new UsageException("FILE '" + args.get(1) + "' is a directory");
        }
        env.squashfs().pack(dir, image, env.err());
        return 0;
    }
}
