package rocker.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import rocker.api.RockerApp;
import rocker.api.RockerClient;
import rocker.api.RockerResult;
import rocker.api.Stdio;
import rocker.testsupport.KernelView;

/**
 * Shared image mounts (issue 19): what the first rocker of an image costs (cold: a new loop device and
 * superblock) against the next ones (warm), and how many loop devices live rockers of a few images use.
 * Each image here is a fresh copy (a new identity, so a new shared mount), on an engine of its own with
 * no grace period, so that the holders go with their last rocker.
 */
final class ImageBench {
    private final Workspace ws;
    private final RockerClient engine;
    private final Tracker tracker;
    private final Path dir;
    private int copies;

    ImageBench(Workspace ws, RockerClient engine, Tracker tracker) throws IOException {
        this.ws = ws;
        this.engine = engine;
        this.tracker = tracker;
        this.dir = Files.createDirectories(ws.root.resolve("images"));
    }

    /**
     * A copy of {@code image}: another inode, so another identity. Written through to the disk before it is
     * used, as an installed image is (and as the floor's is): the loop device's LOOP_CONFIGURE on a file
     * with dirty pages waits for them (a C loop here: 0.18 ms p50, 0.91 max, against 0.05 for a clean
     * file), which is the copy's cost, not the first rocker's (docs/performance.md, "Sixth round").
     */
    private Path copy(Path image) throws IOException {
        Path copy = Workspace.installed(Files.copy(image, dir.resolve("copy-" + copies++ + ".squashfs"), StandardCopyOption.REPLACE_EXISTING));
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(copy, java.nio.file.StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        return copy;
    }

    private RockerResult start(Path image, Path data, RockerApp app) {
        RockerResult r = engine.enterRocker(ws.request(data).pkgPath(image.toString()).build(), app);
        if (!r.isSuccess()) throw new BenchException("images: enterRocker failed: " + r.error().seedName() + ": " + r.message());
        tracker.made(r.guardName(), r.guardPid());
        return r;
    }

    private void destroy(RockerResult r) {
        RockerResult d = engine.destroy(r.guardName());
        if (!d.isSuccess()) throw new BenchException("images: destroy " + r.guardName() + " failed: " + d.message());
        tracker.destroyed(r.guardName());
    }

    /** {@code n} engine starts of the seed's job (the marker app), each the first rocker of its image. */
    List<Long> coldStarts(int n) throws IOException {
        List<Long> out = new ArrayList<>();
        Path root = ws.dataRoot("images-cold");
        for (int i = 0; i < n; i++) {
            Path image = copy(ws.image);
            long t0 = System.nanoTime();
            RockerResult r = start(image, root.resolve(Integer.toString(i)), ws.app());
            OptionalInt status = engine.waitForApp(r.guardName(), Duration.ofSeconds(30));
            long t1 = System.nanoTime();
            if (status.isEmpty() || status.getAsInt() != 0) throw new BenchException("images: cold start's app: " + status);
            destroy(r);
            Files.delete(image);
            out.add(t1 - t0);
        }
        if (!Workspace.markerWritten(root.resolve("0"))) throw new BenchException("images: no marker in " + root.resolve("0"));
        return out;
    }

    /** The time from enterRocker to the app's first byte of output. */
    private static final class FirstByte extends OutputStream {
        final CountDownLatch seen = new CountDownLatch(1);
        volatile long at;

        @Override
        public void write(int b) {
            mark();
        }

        @Override
        public void write(byte[] b, int off, int len) {
            if (len > 0) mark();
        }

        private void mark() {
            if (at == 0) at = System.nanoTime();
            seen.countDown();
        }
    }

    /**
     * A static busybox shell from the image, {@code n} times: its first rocker (cold) and a second one
     * while the first lives (warm), from enterRocker to the first output. {[cold], [warm]}.
     */
    List<List<Long>> busybox(Path busybox, int n) throws IOException, InterruptedException {
        Path src = Files.createDirectories(ws.root.resolve("busybox.src"));
        Files.copy(busybox, src.resolve("busybox"), StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(src.resolve("busybox"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Path image = ws.root.resolve("busybox.squashfs");
        Proc.Result made = Proc.run(List.of("mksquashfs", src.toString(), image.toString(), "-noappend", "-quiet", "-no-progress",
                "-all-root"), ws.log("mksquashfs-busybox.log"), 60, TimeUnit.SECONDS);
        if (made.exit != 0) throw new BenchException("images: mksquashfs of busybox failed: " + made.output());
        Workspace.installed(image);
        Path root = ws.dataRoot("images-busybox");
        List<Long> cold = new ArrayList<>();
        List<Long> warm = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Path copy = copy(image);
            RockerResult first = null;
            RockerResult second = null;
            try {
                long[] t = new long[2];
                RockerResult[] r = new RockerResult[2];
                for (int k = 0; k < 2; k++) {
                    FirstByte out = new FirstByte();
                    RockerApp app = RockerApp.builder().command(ws.exec + "/busybox", "sh", "-c", "echo up")
                            .stdin(Stdio.discard()).stdout(Stdio.stream(out)).stderr(Stdio.discard()).build();
                    long t0 = System.nanoTime();
                    r[k] = start(copy, root.resolve(i + "-" + k), app);
                    if (k == 0) first = r[k]; else second = r[k];
                    if (!out.seen.await(30, TimeUnit.SECONDS)) throw new BenchException("images: busybox printed nothing");
                    t[k] = out.at - t0;
                }
                cold.add(t[0]);
                warm.add(t[1]);
            } finally {
                if (second != null) destroy(second);
                if (first != null) destroy(first);
            }
            Files.delete(copy);
        }
        return List.of(cold, warm);
    }

    /** The loop devices in use with {@code live} rockers (apps ended, rockers kept) of {@code images} images. */
    int loopsInUse(int live, int images) throws Exception {
        List<Path> copies = new ArrayList<>();
        for (int i = 0; i < images; i++) copies.add(copy(ws.image));
        Path root = ws.dataRoot("images-live");
        List<RockerResult> made = new ArrayList<>();
        try {
            for (int i = 0; i < live; i++) {
                RockerResult r = start(copies.get(i % images), root.resolve(Integer.toString(i)), ws.app());
                made.add(r);
                engine.waitForApp(r.guardName(), Duration.ofSeconds(30));
            }
            return KernelView.loopsOn(dir + "/").size();
        } finally {
            for (RockerResult r : made) destroy(r);
        }
    }
}
