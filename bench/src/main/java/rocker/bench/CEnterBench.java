package rocker.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import rocker.api.RockerInfo;
import rocker.client.RemoteRockerClient;

/**
 * The C library's {@code ROCKER_enter_rocker} through the same server as the socket's Java client
 * (librocker_client's {@code bench_enter}): from the call to the app's exit seen by {@code waitpid}, the
 * span of {@link ClientBench}'s start; the callback writes the same marker through the overlay.
 */
final class CEnterBench {
    private final Path binary;
    private final Path socket;
    private final Workspace ws;

    private CEnterBench(Path binary, Path socket, Workspace ws) {
        this.binary = binary;
        this.socket = socket;
        this.ws = ws;
    }

    /** The bench program the build made for this machine, or null (then the row is left out, with a note). */
    static CEnterBench find(Path root, Path socket, Workspace ws) {
        String arch = System.getProperty("os.arch").equals("amd64") ? "x86_64" : System.getProperty("os.arch");
        Path b = root.resolve("librocker_client/target/" + arch + "/test/bench_enter");
        return Files.isExecutable(b) ? new CEnterBench(b, socket, ws) : null;
    }

    /** {@code n} starts one after the other in data dirs under {@code data}; each destroyed afterwards. */
    List<ClientBench.Sample> sequential(Path data, int n) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(binary.toString(), Integer.toString(n), ws.image.toString(), ws.exec.toString(),
                data.toString(), Integer.toString(Workspace.UID), Integer.toString(Workspace.GID), Workspace.MARKER));
        cmd.addAll(Workspace.OVERLAYS);
        Path out = ws.log("c-enter-" + data.getFileName() + ".out");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(ws.log("c-enter.log").toFile());
        pb.environment().put("ROCKER_SOCKET", socket.toString());
        Process p = pb.start();
        try {
            if (!p.waitFor(Math.max(60, n * 5L), TimeUnit.SECONDS)) {
                Proc.kill(p);
                throw new BenchException("bench_enter did not finish; output in " + out);
            }
            if (p.exitValue() != 0) {
                throw new BenchException("bench_enter failed (exit " + p.exitValue() + "): " + Files.readString(ws.log("c-enter.log")).strip());
            }
        } finally {
            leftovers(data);
        }
        if (!Workspace.markerWritten(data.resolve("0"))) {
            throw new BenchException("bench_enter: the callback ran but wrote no marker in " + data.resolve("0/upper" + Workspace.MARKER));
        }
        List<ClientBench.Sample> samples = new ArrayList<>();
        for (String line : Files.readAllLines(out)) {
            String[] f = line.split(" ");
            samples.add(new ClientBench.Sample(Long.parseLong(f[1]), Long.parseLong(f[3]), Long.parseLong(f[5]), "c", 0));
        }
        if (samples.size() != n) throw new BenchException("bench_enter reported " + samples.size() + " of " + n + " starts");
        return samples;
    }

    /** A rocker bench_enter left (it failed between enter and destroy) is destroyed here. */
    private void leftovers(Path data) {
        try (RemoteRockerClient c = new RemoteRockerClient(socket.toString())) {
            for (RockerInfo i : c.list()) {
                if (i.request().dataDir() != null && i.request().dataDir().startsWith(data.toString())) c.destroy(i.guardName());
            }
        } catch (RuntimeException e) {
            // the server is gone: its rockers are the server cleanup's
        }
    }
}
