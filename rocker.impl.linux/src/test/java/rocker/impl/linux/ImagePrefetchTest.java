package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.RandomAccessFile;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.Rule;
import org.junit.Test;

import rocker.api.RockerApp;
import rocker.api.RockerError;
import rocker.api.RockerResult;
import rocker.testsupport.Images;
import rocker.testsupport.KernelView;

/**
 * The first rocker of an image gets its app's executable read ahead through the new shared mount
 * ({@link ImagePrefetch}), and the read-ahead follows no symbolic link of the (hostile) image.
 */
public class ImagePrefetchTest {
    @Rule
    public final EngineFixture fx = new EngineFixture();

    /** A 2 MiB shell script that execs sleep on its 2nd line: the shell never reads its tail (block 16 of the image). */
    private static String longScript() {
        StringBuilder b = new StringBuilder("#!/bin/sh\nexec sleep 600\n");
        java.util.Random r = new java.util.Random(19);
        while (b.length() < (2 << 20)) b.append('#').append(Long.toHexString(r.nextLong())).append('\n');
        return b.toString();
    }

    /** Whether the file's last page is in the page cache (mincore through a mapping that faults nothing in, unmapped again). */
    private static boolean lastPageCached(Path file) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r"); FileChannel c = f.getChannel()) {
            long size = c.size();
            long page = (size - 1) & ~4095L;
            MappedByteBuffer m = c.map(FileChannel.MapMode.READ_ONLY, page, size - page);
            try {
                return m.isLoaded();
            } finally {
                unmap(m); // now, not at some GC: the mapping holds the image's file, so its mount and loop device would stay
            }
        }
    }

    private static void unmap(MappedByteBuffer m) throws Exception {
        java.lang.reflect.Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
        f.setAccessible(true);
        ((sun.misc.Unsafe) f.get(null)).invokeCleaner(m);
    }

    /** GNU dd with {@code iflag=nocache count=0}: posix_fadvise(DONTNEED) on the whole (clean) file. */
    private static void dropFromPageCache(Path file) throws Exception {
        Process p = new ProcessBuilder("dd", "if=" + file, "iflag=nocache", "count=0").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals("dd: " + out, 0, p.waitFor());
    }

    @Test
    public void theFirstRockerOfAnImageGetsItsAppReadAheadWholeThroughTheSharedMount() throws Exception {
        Path image = Images.build(fx.work, "long", Map.of("app.sh", longScript()));
        String exec = fx.work.resolve("exec-long").toString();
        RockerResult r = fx.engine.enterRocker(fx.request(image, "long").build(), RockerApp.of(exec + "/app.sh"));
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        Path seen = Path.of("/proc/" + r.guardPid() + "/root" + exec + "/app.sh");
        assertTrue("the script's tail, which its shell never reads, is in the image's page cache",
                KernelView.eventually(EngineFixture.SETTLE, () -> {
                    try {
                        return lastPageCached(seen);
                    } catch (Exception e) {
                        return false;
                    }
                }));
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
    }

    @Test
    public void theReadAheadFollowsNoSymbolicLinkOutOfTheImage() throws Exception {
        // a host file out of the page cache, and an image whose app is a link to it
        Path canary = fx.work.resolve("canary-file");
        Files.write(canary, new byte[1 << 20]);
        try (RandomAccessFile f = new RandomAccessFile(canary.toFile(), "rw")) {
            f.getFD().sync();
        }
        Path src = Files.createDirectories(fx.work.resolve("linked.src"));
        Files.createSymbolicLink(src.resolve("app"), canary);
        Path image = Images.pack(fx.work, "linked", src);
        dropFromPageCache(canary);
        assertFalse("the canary starts out of the page cache", lastPageCached(canary));
        String exec = fx.work.resolve("exec-linked").toString();
        // none under way (an earlier test's), so this image's is not skipped: it is the one that ends next
        assertTrue(KernelView.eventually(EngineFixture.SETTLE, ImagePrefetch::idle));
        long ended = ImagePrefetch.ended();
        RockerResult r = fx.engine.enterRocker(fx.request(image, "linked").build(), RockerApp.of(exec + "/app"));
        // the app itself cannot run (the canary is no program); what matters is what was read ahead
        if (r.isSuccess()) fx.engine.destroy(r.guardName());
        assertTrue("the new image's read-ahead ran", KernelView.eventually(EngineFixture.SETTLE,
                () -> ImagePrefetch.ended() > ended && ImagePrefetch.idle()));
        assertFalse("the host file behind the image's link was not read ahead", lastPageCached(canary));
    }

    /** {@link ImagePrefetch#warm} itself, on a host dir: a regular file is read ahead (the control), no link to one, nor through one. */
    @Test
    public void theReadAheadReadsARegularFileButNoLinkToOne() throws Exception {
        Path dir = Files.createDirectories(fx.work.resolve("prefetch"));
        Path outside = Files.createDirectories(fx.work.resolve("outside"));
        Path regular = dir.resolve("app");
        Path canary = outside.resolve("canary");
        for (Path f : List.of(regular, canary)) {
            Files.write(f, new byte[1 << 20]);
            try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
                raf.getFD().sync();
            }
            dropFromPageCache(f);
            assertFalse(f + " starts out of the page cache", lastPageCached(f));
        }
        Files.createSymbolicLink(dir.resolve("link"), canary);
        Files.createSymbolicLink(dir.resolve("linked-dir"), outside);
        int root = rocker.impl.linux.sys.Posix.open(dir.toString(), rocker.impl.linux.sys.Fd.O_PATH | rocker.impl.linux.sys.Fd.O_DIRECTORY, 0);
        try {
            ImagePrefetch.warm(root, "link", "the test's dir");
            ImagePrefetch.warm(root, "linked-dir/canary", "the test's dir");
            ImagePrefetch.warm(root, "app", "the test's dir");
        } finally {
            rocker.impl.linux.sys.Posix.close(root);
        }
        assertTrue("the regular file is read ahead", KernelView.eventually(EngineFixture.SETTLE, () -> lastPageCached(regular)));
        assertFalse("neither the link nor a path through a linked dir was followed", lastPageCached(canary));
    }
}
