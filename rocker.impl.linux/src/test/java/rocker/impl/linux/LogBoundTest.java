package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.RuleChain;

import rocker.api.RockerApp;
import rocker.api.RockerError;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.testsupport.Apps;
import rocker.testsupport.Canaries;
import rocker.testsupport.HostUser;
import rocker.testsupport.Images;

/**
 * Bounded logs (the guard pumps the app's output into log/stdout.log and log/stderr.log, rotating to .1
 * at the request's log limit, beneath the log dir's descriptor) and the app's OOM score.
 */
public class LogBoundTest {
    private static final long MIB = 1 << 20;
    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};

    private final EngineFixture fx = new EngineFixture();
    private final Attacker attacker = new Attacker(fx);

    @Rule
    public final RuleChain rules = RuleChain.outerRule(fx).around(attacker);

    private Path image(String name, String script) throws Exception {
        Path image = Images.build(fx.work, name, Map.of("run.sh", script));
        Files.setPosixFilePermissions(image, PosixFilePermissions.fromString("rw-r--r--"));
        return image;
    }

    private RockerResult run(RockerRequest request) {
        RockerResult r = fx.engine.enterRocker(request, RockerApp.of("/bin/sh", request.execDir() + "/run.sh"));
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        return r;
    }

    private int finish(RockerResult r, int seconds) {
        return fx.engine.waitForApp(r.guardName(), Duration.ofSeconds(seconds)).orElseThrow();
    }

    private static long size(Path p) throws Exception {
        return Files.size(p);
    }

    private static void ownedBy(Path p, int uid, int gid) throws Exception {
        assertTrue(p + " is a regular file", Files.isRegularFile(p, NOFOLLOW));
        assertEquals(p + " owner", uid, Files.getAttribute(p, "unix:uid", NOFOLLOW));
        assertEquals(p + " group", gid, Files.getAttribute(p, "unix:gid", NOFOLLOW));
        int mode = (Integer) Files.getAttribute(p, "unix:mode", NOFOLLOW);
        assertEquals(p + " mode " + Integer.toOctalString(mode), 0, mode & 0137);
        assertEquals(p + " has no other name", 1, Files.getAttribute(p, "unix:nlink", NOFOLLOW));
    }

    @Test
    public void aFloodIsBoundedAndTheNewestBytesAreKept() throws Exception {
        Path img = image("flood", "#!/bin/sh\n"
                + "head -c 200M /dev/zero | tr '\\0' 'x'\necho\necho MARKER-END\n"
                + "head -c 3M /dev/zero | tr '\\0' 'y' >&2\necho ERR-END >&2\n");
        RockerResult r = run(fx.request(img, "f").logLimit(MIB).build());
        assertEquals(0, finish(r, 300));
        Path log = fx.work.resolve("data-f/log");
        // 200 MiB + "\n" + "MARKER-END\n": the last 12 bytes are the newest file, the MiB before them .1
        assertEquals("\nMARKER-END\n", Files.readString(log.resolve("stdout.log")));
        assertEquals(MIB, size(log.resolve("stdout.log.1")));
        assertTrue(Files.readString(log.resolve("stdout.log.1")).chars().allMatch(c -> c == 'x'));
        assertEquals("ERR-END\n", Files.readString(log.resolve("stderr.log")));
        assertEquals(MIB, size(log.resolve("stderr.log.1")));
        for (String f : new String[] {"stdout.log", "stdout.log.1", "stderr.log", "stderr.log.1"}) {
            ownedBy(log.resolve(f), 1000, 1000);
        }
        try (var names = Files.list(log)) {
            assertEquals("one rotated file per stream", 4, names.count());
        }
        assertTrue(size(log.resolve("stdout.log")) + size(log.resolve("stdout.log.1")) <= 2 * MIB);
    }

    private static final String ELEVEN_MIB = "#!/bin/sh\n"
            + "if [ -p /proc/self/fd/1 ]; then echo pipe >&2; elif [ -f /proc/self/fd/1 ]; then echo file >&2; fi\n"
            + "head -c 11M /dev/zero | tr '\\0' 'x'\necho END\n";

    @Test
    public void theDefaultLimitIsTenMibibytes() throws Exception {
        Path img = image("eleven", ELEVEN_MIB);
        RockerRequest request = fx.request(img, "d").build();
        assertEquals(RockerRequest.DEFAULT_LOG_LIMIT, request.logLimit());
        assertEquals(0, finish(run(request), 60));
        Path log = fx.work.resolve("data-d/log");
        assertEquals("the app writes into the guard's pipe", "pipe\n", Files.readString(log.resolve("stderr.log")));
        assertEquals(10 * MIB, size(log.resolve("stdout.log.1")));
        assertEquals(MIB + 4, size(log.resolve("stdout.log")));
        assertTrue(Files.readString(log.resolve("stdout.log")).endsWith("xEND\n"));
        assertFalse(Files.exists(log.resolve("stderr.log.1")));
    }

    @Test
    public void zeroIsUnboundedWithTheFileItself() throws Exception {
        Path img = image("eleven", ELEVEN_MIB);
        assertEquals(0, finish(run(fx.request(img, "z").logLimit(0).build()), 60));
        Path log = fx.work.resolve("data-z/log");
        assertEquals("the app writes the file itself", "file\n", Files.readString(log.resolve("stderr.log")));
        assertEquals(11 * MIB + 4, size(log.resolve("stdout.log")));
        assertFalse(Files.exists(log.resolve("stdout.log.1")));
        ownedBy(log.resolve("stdout.log"), 1000, 1000);
    }

    @Test
    public void aRunAppendsAndALogAlreadyOverTheLimitIsRotatedFirst() throws Exception {
        Path img = image("small", "#!/bin/sh\necho second\n");
        Path log = Files.createDirectories(fx.work.resolve("data-a/log"));
        Files.writeString(log.resolve("stdout.log"), "a".repeat(8192));
        assertEquals(0, finish(run(fx.request(img, "a").logLimit(4096).build()), 30));
        assertEquals("second\n", Files.readString(log.resolve("stdout.log")));
        assertEquals(8192, size(log.resolve("stdout.log.1")));
        ownedBy(log.resolve("stdout.log"), 1000, 1000);
    }

    /**
     * The user's own log dir: while the guard (root) rotates, the user keeps planting symlinks to its
     * canaries at stdout.log.1 and, for a while, at stdout.log; stderr.log.1 is a dir with a file in it
     * (the rename fails, the guard removes stderr.log and starts anew). The guard follows no name.
     */
    @Test
    public void plantedSymlinksAreNeverFollowedWhileLogsRotate() throws Exception {
        HostUser user = attacker.user;
        Canaries canaries = attacker.canaries;
        Path img = image("rotate", "#!/bin/sh\n"
                + "i=0\nwhile [ $i -lt 40 ]; do\n"
                + "  head -c 20000 /dev/zero | tr '\\0' 'o'\n  head -c 20000 /dev/zero | tr '\\0' 'e' >&2\n"
                + "  sleep 0.05\n  i=$((i+1))\ndone\necho END\necho END >&2\n");
        Path data = Files.createDirectory(attacker.home.resolve("data"));
        user.chown(data);
        Path log = Files.createDirectory(data.resolve("log"));
        user.chown(log);
        Path out1 = log.resolve("stdout.log.1");
        Path out = log.resolve("stdout.log");
        plant(user, out1, canaries.file);
        Path errDir = Files.createDirectory(log.resolve("stderr.log.1"));
        Files.writeString(errDir.resolve("keep"), "kept\n");
        user.chown(errDir);
        user.chown(errDir.resolve("keep"));

        RockerRequest request = RockerRequest.builder().appId(9).uid(user.uid).gid(user.gid).pkgPath(img.toString())
                .execDir("/srv/rocker-test-exec").dataDir(data.toString()).overlayDirs("/srv").logLimit(16384).build();
        AtomicBoolean done = new AtomicBoolean();
        AtomicInteger planted = new AtomicInteger();
        Thread planter = new Thread(() -> {
            long start = System.nanoTime();
            try {
                while (!done.get()) {
                    plant(user, out1, canaries.file);
                    if (System.nanoTime() - start < 500_000_000L) plant(user, out, canaries.file);
                    planted.incrementAndGet();
                    Thread.sleep(2);
                }
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        RockerResult r = fx.engine.enterRocker(request, RockerApp.of("/bin/sh", "/srv/rocker-test-exec/run.sh"), Attacker.callerOf(user));
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        planter.start();
        try {
            assertEquals(0, finish(r, 60));
        } finally {
            done.set(true);
            planter.join();
        }
        assertTrue("the planter ran: " + planted.get(), planted.get() > 10);
        canaries.assertUnchanged();
        ownedBy(out, user.uid, user.gid);
        String text = Files.readString(out);
        assertTrue(text.length() + " " + text.substring(Math.max(0, text.length() - 20)), text.endsWith("oEND\n"));
        assertTrue(size(out) <= 16384);
        assertTrue("stdout.log.1 is the user's planted link or the guard's file",
                Files.isSymbolicLink(out1) || Files.size(out1) == 16384);
        if (!Files.isSymbolicLink(out1)) ownedBy(out1, user.uid, user.gid);
        Path err = log.resolve("stderr.log");
        ownedBy(err, user.uid, user.gid);
        assertTrue(Files.readString(err).endsWith("eEND\n"));
        assertTrue(size(err) <= 16384);
        assertEquals("kept\n", Files.readString(errDir.resolve("keep")));
        try (var names = Files.list(log)) {
            assertEquals("nothing but the two logs and their .1", 4, names.count());
        }
    }

    private static void plant(HostUser user, Path at, Path target) throws Exception {
        try {
            Files.deleteIfExists(at);
            Files.createSymbolicLink(at, target);
            user.chown(at);
        } catch (java.nio.file.FileAlreadyExistsException | java.nio.file.NoSuchFileException e) {
            // the guard renamed or created it meanwhile: the next round plants again
        }
    }

    /**
     * The guard and keeper may be exempt from the OOM killer; the app never is. The guard inherits the
     * engine's score: -1000 here, where the test may lower its own (CAP_SYS_RESOURCE; without it, as in
     * some containers, the guard runs at the engine's 0 and only that is checked).
     */
    @Test
    public void theAppsOomScoreIsResetWhileTheGuardsIsKept() throws Exception {
        Path img = image("oom", "#!/bin/sh\necho \"oom:$(cat /proc/self/oom_score_adj)\"\nexec sleep 1000\n");
        Path self = Path.of("/proc/self/oom_score_adj");
        String before = Files.readString(self).trim();
        for (boolean userns : new boolean[] {false, true}) {
            String name = "o" + userns;
            RockerResult r;
            boolean lowered = false;
            try {
                Files.writeString(self, "-1000");
                lowered = true;
            } catch (java.io.IOException e) {
                System.err.println("cannot lower this JVM's oom_score_adj (no CAP_SYS_RESOURCE): " + e);
            }
            try {
                r = run(fx.request(img, name).userNamespace(userns).build());
            } finally {
                if (lowered) Files.writeString(self, before);
            }
            String text = Apps.awaitOutput(fx.work.resolve("data-" + name + "/log/stdout.log"), "oom:");
            assertEquals(userns + ": the app's", "oom:0\n", text);
            int guard = Integer.parseInt(Files.readString(Path.of("/proc/" + r.guardPid() + "/oom_score_adj")).trim());
            if (lowered) {
                assertEquals(userns + ": the guard's", -1000, guard);
            } else {
                assertTrue(userns + ": the guard's " + guard, guard <= 0);
            }
            assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
        }
    }
}
