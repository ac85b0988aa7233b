package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.RuleChain;

import rocker.api.RockerApp;
import rocker.api.RockerError;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.api.Stdio;
import rocker.testsupport.Canaries;
import rocker.testsupport.HostUser;
import rocker.testsupport.Images;

/**
 * A hostile user (a real one) swaps the paths of its request as fast as it can while it asks for
 * rockers: the package path between its image and a symlink to a root-only image, its data dir and
 * the dirs in it between real dirs and symlinks to a root-only dir, a FILE stdout between its file and
 * a symlink to a root-only file. Every answer must be a rocker on the user's own files or the exact
 * refusal; the root-only canaries never change. Each race runs for a bounded time and fails when too
 * few swaps and requests overlapped for it to mean anything.
 */
public class RaceTest {
    private static final long RACE_NANOS = 3_000_000_000L;
    private static final long MIN_FLIPS = 100;
    private static final int MIN_REQUESTS = 10;

    private final EngineFixture fx = new EngineFixture();
    private final Attacker attacker = new Attacker(fx);

    @Rule
    public final RuleChain rules = RuleChain.outerRule(fx).around(attacker);

    private HostUser user;
    private Canaries canaries;
    private Path home;

    @Before
    public void setUp() {
        user = attacker.user;
        canaries = attacker.canaries;
        home = attacker.home;
    }

    /** Runs one flip after the other on a thread of its own; a flip that the engine's work made fail is skipped. */
    private static final class Swapper implements AutoCloseable {
        interface Flip {
            void run() throws Exception;
        }

        final AtomicLong flips = new AtomicLong();
        private volatile boolean stop;
        private final Thread thread;

        Swapper(Flip flip) {
            thread = new Thread(() -> {
                while (!stop) {
                    try {
                        flip.run();
                        flips.incrementAndGet();
                    } catch (Exception e) {
                        // the engine created or held something meanwhile: try again
                    }
                }
            }, "swapper");
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            thread.join();
        }
    }

    /** Outcomes by "error: message start", for the report and the assertions. */
    private final Map<String, Integer> outcomes = new TreeMap<>();

    private void count(RockerResult r) {
        String m = r.message();
        String why = m.substring(m.indexOf("': ") + 3); // after the field and its value
        outcomes.merge(r.error().seedName() + (r.isSuccess() ? "" : " (" + why.substring(0, Math.min(40, why.length())) + ")"), 1,
                Integer::sum);
    }

    private int requests() {
        return outcomes.values().stream().mapToInt(Integer::intValue).sum();
    }

    private void report(String race, Swapper s) {
        System.out.println(race + ": " + s.flips.get() + " flips, " + requests() + " requests overlapped: " + outcomes);
        assertTrue(race + ": the swapper ran (" + s.flips.get() + " flips)", s.flips.get() >= MIN_FLIPS);
        assertTrue(race + ": requests overlapped the swapping (" + requests() + ")", requests() >= MIN_REQUESTS);
    }

    private RockerRequest.Builder request(Path data, Path pkg) {
        return RockerRequest.builder().appId(11).uid(user.uid).gid(user.gid).pkgPath(pkg.toString())
                .execDir("/srv/rocker-race-exec").dataDir(data.toString()).overlayDirs("/srv");
    }

    private static Path image(Path dir, String name, String marker) throws Exception {
        Path img = Images.build(dir, name, Map.of("marker", marker));
        Files.setPosixFilePermissions(img, PosixFilePermissions.fromString("rw-r--r--"));
        return img;
    }

    /** Waits for the app, checks it saw the user's image, destroys the rocker. */
    private void finish(RockerResult r, Path data) throws Exception {
        assertEquals(0, fx.engine.waitForApp(r.guardName(), Duration.ofSeconds(10)).getAsInt());
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
        assertEquals("the app saw the user's own image", "good\n", Files.readString(data.resolve("log/stdout.log")));
    }

    @Test
    public void thePackagePathSwappedWithASymlinkToARootOnlyImage() throws Exception {
        Path good = image(home, "good", "good\n");
        user.chown(good);
        Path secret = image(fx.work, "secret", "secret\n");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        Path pkg = home.resolve("app.squashfs");
        try (Swapper s = new Swapper(() -> {
            Files.move(good, pkg, StandardCopyOption.ATOMIC_MOVE);
            Files.move(pkg, good, StandardCopyOption.ATOMIC_MOVE);
            Files.createSymbolicLink(pkg, secret);
            Files.delete(pkg);
        })) {
            long end = System.nanoTime() + RACE_NANOS;
            for (int i = 0; System.nanoTime() < end; i++) {
                Path data = home.resolve("p" + i);
                RockerResult r = fx.engine.enterRocker(request(data, pkg).build(), RockerApp.of("/bin/cat", "/srv/rocker-race-exec/marker"),
                        Attacker.callerOf(user));
                count(r);
                if (r.isSuccess()) {
                    finish(r, data);
                } else {
                    assertEquals(r.toString(), RockerError.PARAM_INVALID, r.error());
                    assertTrue(r.message(), r.message().startsWith("app_pkg_path '" + pkg + "': "));
                }
            }
            report("package path swap", s);
        }
    }

    @Test
    public void theDataDirAndItsDirsSwappedWithSymlinksToARootOnlyDir() throws Exception {
        Path img = image(fx.work, "good", "good\n");
        Path data = home.resolve("data");
        Path real = home.resolve("data.real");
        Files.createDirectories(real.resolve("upper"));
        Files.createDirectories(real.resolve("log"));
        for (Path p : new Path[] {real, real.resolve("upper"), real.resolve("log")}) user.chown(p);
        AtomicLong aside = new AtomicLong();
        try (Swapper s = new Swapper(() -> {
            restore(data, real, aside);
            Files.move(real, data, StandardCopyOption.ATOMIC_MOVE);
            for (String name : new String[] {"log", "upper"}) {
                Files.move(data.resolve(name), home.resolve("parked-" + name), StandardCopyOption.ATOMIC_MOVE);
                Files.createSymbolicLink(data.resolve(name), canaries.dir);
                Files.delete(data.resolve(name));
                Files.move(home.resolve("parked-" + name), data.resolve(name), StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(data, real, StandardCopyOption.ATOMIC_MOVE);
            Files.createSymbolicLink(data, canaries.dir);
            Files.delete(data);
        })) {
            long end = System.nanoTime() + RACE_NANOS;
            while (System.nanoTime() < end) {
                RockerResult r = fx.engine.enterRocker(request(data, img).build(), RockerApp.of("/bin/true"), Attacker.callerOf(user));
                count(r);
                if (r.isSuccess()) {
                    fx.engine.waitForApp(r.guardName(), Duration.ofSeconds(10));
                    assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
                } else {
                    assertEquals(r.toString(), RockerError.PARAM_INVALID, r.error());
                    assertTrue(r.message(), r.message().startsWith("app_data_dir '" + data + "': "));
                }
            }
            report("data dir swap", s);
        }
        assertFalse("nothing was made in the root-only dir", Files.exists(canaries.dir.resolve("srv")));
    }

    /**
     * Puts the swapper's dirs back where its next flip expects them, whichever step the engine's work made
     * fail: no symlink left, {@code real} holding real {@code log} and {@code upper} dirs, no {@code data}.
     * A data dir the engine made while there was none is moved aside (its rocker keeps it).
     */
    private void restore(Path data, Path real, AtomicLong aside) throws Exception {
        java.nio.file.LinkOption nofollow = java.nio.file.LinkOption.NOFOLLOW_LINKS;
        if (Files.isSymbolicLink(data)) {
            Files.delete(data);
        } else if (Files.isDirectory(data, nofollow)) {
            Files.move(data, Files.exists(real, nofollow) ? home.resolve("made-by-engine-" + aside.incrementAndGet()) : real,
                    StandardCopyOption.ATOMIC_MOVE);
        }
        if (!Files.exists(real, nofollow)) {
            Files.createDirectory(real);
            user.chown(real);
        }
        for (String name : new String[] {"log", "upper"}) {
            Path p = real.resolve(name);
            Path parked = home.resolve("parked-" + name);
            if (Files.isSymbolicLink(p)) Files.delete(p);
            if (Files.exists(parked, nofollow) && !Files.exists(p, nofollow)) Files.move(parked, p, StandardCopyOption.ATOMIC_MOVE);
            if (!Files.exists(p, nofollow)) {
                Files.createDirectory(p);
                user.chown(p);
            }
        }
    }

    @Test
    public void aFileStdoutSwappedWithASymlinkToARootOnlyFile() throws Exception {
        Path img = image(fx.work, "good", "good\n");
        Path out = home.resolve("out.txt");
        Path mine = home.resolve("mine.txt");
        Files.writeString(mine, "");
        user.chown(mine);
        try (Swapper s = new Swapper(() -> {
            Files.move(mine, out, StandardCopyOption.ATOMIC_MOVE);
            Files.move(out, mine, StandardCopyOption.ATOMIC_MOVE);
            Files.createSymbolicLink(out, canaries.file);
            Files.delete(out);
        })) {
            long end = System.nanoTime() + RACE_NANOS;
            for (int i = 0; System.nanoTime() < end; i++) {
                RockerApp app = RockerApp.builder().command("/bin/echo", "pwned").stdout(Stdio.file(out.toString())).build();
                RockerResult r = fx.engine.enterRocker(request(home.resolve("f" + i), img).build(), app, Attacker.callerOf(user));
                count(r);
                if (r.isSuccess()) {
                    fx.engine.waitForApp(r.guardName(), Duration.ofSeconds(10));
                    assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
                } else if (r.error() == RockerError.SYS) {
                    assertTrue(r.message(), r.message().startsWith("permission denied: stdout '" + out + "': uid " + user.uid));
                } else {
                    assertEquals(r.toString(), RockerError.PARAM_INVALID, r.error());
                    assertTrue(r.message(), r.message().startsWith("stdout '" + out + "': cannot be opened"));
                }
            }
            report("FILE stdout swap", s);
        }
    }
}
