package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

import org.junit.rules.ExternalResource;

import rocker.api.RockerInfo;
import rocker.api.RockerRequest;
import rocker.testsupport.KernelView;
import rocker.testsupport.WorkDirs;

/**
 * A real engine on the real kernel (root), in a private work dir under /tmp, that checks after each
 * test that nothing was left behind: no rocker, no loop device on our images, no new host mount. The
 * exec dirs {@code /opt/rocker-test-*} that tests name outside every overlay are made on the host by the
 * engine for a root client (docs/engine.md, as the original did): those that were not there before the
 * test are removed afterwards, and one left with anything in it fails the test.
 */
final class EngineFixture extends ExternalResource {
    /** How long the engine tests poll the kernel ({@link KernelView#eventually(Duration, java.util.concurrent.Callable)}). */
    static final Duration SETTLE = Duration.ofSeconds(5);

    Path work;
    Path stateDir;
    RockerEngine engine;
    private Set<String> mountsBefore;
    private Set<String> loopsBefore;
    private Set<Path> hostExecDirsBefore;
    private final Path parent;
    /** This fixture's own cgroup parent, removed with everything under it afterwards. */
    final String cgroupParent = "rocker-test-" + Long.toString(java.util.concurrent.ThreadLocalRandom.current().nextLong() >>> 1, 36);

    /** A work dir under /tmp: inside a rocker that is the rocker's own /tmp, so the host's test files are out of sight. */
    EngineFixture() {
        this(Path.of("/tmp"));
    }

    /** A work dir under {@code parent}, e.g. /var/tmp for tests whose files the app must see (read-only). */
    EngineFixture(Path parent) {
        this.parent = parent;
    }

    @Override
    protected void before() throws Throwable {
        work = WorkDirs.create(parent, "rocker-test-");
        stateDir = work.resolve("state");
        String guard = System.getProperty("rocker.guard");
        try {
            assertTrue("the build compiles rocker-guard and passes -Drocker.guard", guard != null && Files.isExecutable(Path.of(guard)));
            engine = engine(() -> guard, 0);
        } catch (Throwable e) {
            WorkDirs.deleteQuietly(work); // no engine, so after() does not run: the work dir goes now (e.g. no native library)
            throw e;
        }
        mountsBefore = KernelView.mountPoints();
        loopsBefore = ourLoops();
        hostExecDirsBefore = hostExecDirs();
    }

    /** The host's {@code /opt/rocker-test-*} dirs (exec dirs that tests name outside every overlay). */
    static Set<Path> hostExecDirs() throws IOException {
        Set<Path> out = new java.util.TreeSet<>();
        if (!Files.isDirectory(Path.of("/opt"))) return out;
        try (var s = Files.newDirectoryStream(Path.of("/opt"), "rocker-test-*")) {
            s.forEach(out::add);
        }
        return out;
    }

    /** Removes the {@code /opt/rocker-test-*} dirs made since {@link #before()}, each one that can be: empty, or the test fails. */
    private void removeHostExecDirs() {
        java.util.List<String> left = new java.util.ArrayList<>();
        try {
            for (Path d : hostExecDirs()) {
                if (hostExecDirsBefore.contains(d)) continue;
                try {
                    Files.delete(d);
                } catch (IOException e) {
                    left.add(d + " (" + e + ")");
                }
            }
        } catch (IOException e) {
            left.add("/opt (" + e + ")");
        }
        if (!left.isEmpty()) throw new AssertionError("the host's exec dirs made by the test cannot be removed: " + left);
    }

    /** Where the engines copy images that someone besides root can change (ImageSource). */
    Path copies() {
        return work.resolve("copies");
    }

    /** An engine on this fixture's state dir and cgroup parent (tests that need another guard or spares). */

    RockerEngine engine(java.util.function.Supplier<String> guard, int spares) {
        return engine(guard, spares, RockerEngine.DEFAULT_HIDDEN_PATHS);
    }

    RockerEngine engine(java.util.function.Supplier<String> guard, int spares, java.util.List<String> hidden) {
        RockerEngine e = new RockerEngine(stateDir, guard, Duration.ofSeconds(10), spares, hidden, cgroupParent);
        e.imageGrace(Duration.ZERO); // an image's shared mount goes with its last rocker: nothing is left after a test
        e.imageCopyDir(copies()); // in the work dir, so that a loop device left on a copy counts as the test's
        return e;
    }

    @Override
    protected void after() {
        try {
            for (RockerInfo r : engine.list()) {
                engine.destroy(r.guardName());
            }
            engine.close();
            assertEquals("host mounts are unchanged", mountsBefore, KernelView.mountPoints());
            assertTrue("no loop device left: " + ourLoops(), KernelView.eventually(SETTLE, () -> ourLoops().equals(loopsBefore)));
            assertTrue("no cgroup left: " + cgroupsLeft(), KernelView.eventually(SETTLE, () -> cgroupsLeft().isEmpty()));
        } catch (Exception e) {
            throw new AssertionError(e);
        } finally {
            removeCgroupParent();
            try {
                WorkDirs.delete(work);
            } catch (IOException e) {
                // reported by the assertions above, if anything was left mounted
            }
            removeHostExecDirs(); // also after a failed assertion: the next test's listing must not count them
        }
    }

    /** The cgroups under this fixture's parent, in every hierarchy. */
    java.util.List<Path> cgroupsLeft() throws IOException {
        java.util.List<Path> left = new java.util.ArrayList<>();
        for (Path h : CgroupLayout.detect().hierarchies()) {
            Path p = h.resolve(cgroupParent);
            if (!Files.isDirectory(p)) continue;
            try (var s = Files.newDirectoryStream(p, Files::isDirectory)) {
                s.forEach(left::add);
            }
        }
        return left;
    }

    /** The parent goes in every hierarchy (a rocker's cgroup still in it is removed first, if it can be). */
    private void removeCgroupParent() {
        for (Path h : CgroupLayout.detect().hierarchies()) {
            Path p = h.resolve(cgroupParent);
            try {
                if (Files.isDirectory(p)) {
                    try (var s = Files.newDirectoryStream(p, Files::isDirectory)) {
                        for (Path c : s) Files.delete(c);
                    }
                    Files.delete(p);
                }
            } catch (IOException e) {
                throw new AssertionError("cannot remove the test's cgroup parent " + p + ": " + e, e);
            }
        }
    }

    /** Loop devices on images of this test (other processes may use loop devices meanwhile). */
    Set<String> ourLoops() throws IOException {
        Set<String> ours = new java.util.TreeSet<>();
        for (String l : KernelView.loopBackingFiles()) {
            if (l.contains(work.toString())) ours.add(l);
        }
        return ours;
    }

    /** A request in the work dir: the image at pkg, exec dir /opt/rocker-test-N (created inside), data dir in work. */
    RockerRequest.Builder request(Path image, String dataName, String... overlays) {
        return RockerRequest.builder().appId(7).uid(1000).gid(1000)
                .pkgPath(image.toString())
                .execDir(work.resolve("exec-" + dataName).toString())
                .dataDir(work.resolve("data-" + dataName).toString())
                .overlayDirs(overlays);
    }
}
