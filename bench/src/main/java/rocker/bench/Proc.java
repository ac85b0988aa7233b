package rocker.bench;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Runs helper commands with their output in a log file (never a pipe that could fill up). */
final class Proc {
    private Proc() {
    }

    static final class Result {
        final int exit;
        final Path log;

        Result(int exit, Path log) {
            this.exit = exit;
            this.log = log;
        }

        String output() {
            try {
                String s = Files.readString(log);
                return s.length() > 4000 ? s.substring(0, 4000) + "..." : s;
            } catch (IOException e) {
                return "(no output: " + e + ")";
            }
        }
    }

    /** Runs {@code cmd} with stdout and stderr to {@code log}; kills it (and its children) after the timeout. */
    static Result run(List<String> cmd, Path log, long timeout, TimeUnit unit) throws IOException, InterruptedException {
        return run(cmd, log, null, timeout, unit);
    }

    static Result run(List<String> cmd, Path log, Path stdoutFile, long timeout, TimeUnit unit)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        if (stdoutFile != null) {
            pb.redirectOutput(stdoutFile.toFile()).redirectError(log.toFile());
        } else {
            pb.redirectErrorStream(true).redirectOutput(log.toFile());
        }
        Process p = pb.start();
        if (!p.waitFor(timeout, unit)) {
            kill(p);
            throw new IOException(cmd.get(0) + " did not finish within " + timeout + " " + unit.name().toLowerCase()
                    + " (killed); output in " + log);
        }
        return new Result(p.exitValue(), log);
    }

    /** SIGKILL to the process and its descendants. */
    static void kill(Process p) throws InterruptedException {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
    }

    /** The absolute path of an executable on PATH (or an absolute path that is executable). */
    static Optional<Path> which(String name) {
        if (name.startsWith("/")) {
            Path p = Path.of(name);
            return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        for (String dir : (path + ":/usr/sbin:/sbin").split(":")) {
            if (dir.isEmpty()) continue;
            Path p = Path.of(dir, name);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) return Optional.of(p);
        }
        return Optional.empty();
    }

    /** The first line a command prints, or null. */
    static String firstLine(Path log, String... cmd) {
        try {
            Result r = run(List.of(cmd), log, 20, TimeUnit.SECONDS);
            String out = r.output().strip();
            int nl = out.indexOf('\n');
            return nl < 0 ? out : out.substring(0, nl);
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
