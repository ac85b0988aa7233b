package rocker.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import org.junit.runner.Description;
import org.junit.rules.TestRule;
import org.junit.runners.model.Statement;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.tracker.ServiceTracker;

import rocker.api.RockerApp;
import rocker.api.RockerClient;
import rocker.api.RockerError;
import rocker.api.RockerInfo;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.testsupport.KernelView;
import rocker.testsupport.WorkDirs;

/**
 * The in-framework fixture of every test: the Rocker bundles configured through ConfigAdmin to use the
 * test class's state dir and socket (target/itest-state/CLASS) and started, a private work dir under
 * /tmp for the test's images, exec and data dirs, trackers
 * for the local and remote RockerClient services, and after the test: every rocker destroyed and the
 * host checked (no rocker process, no keeper child of this JVM, no loop device on our files, no new
 * mount in the host's mount namespace).
 */
final class Rig implements TestRule {
    static final String ENGINE_PID = "rocker.engine";
    static final String SERVER_PID = "rocker.server";
    static final String REMOTE_PID = "rocker.remote";
    static final String LOCAL = "(&(objectClass=rocker.api.RockerClient)(rocker.transport=local))";
    static final String REMOTE = "(&(objectClass=rocker.api.RockerClient)(rocker.transport=remote))";
    /**
     * Started after configuration, in this order; stopped in the reverse order. (rocker.server is started
     * with the framework already; without its configuration it does nothing.)
     */
    static final List<String> ACTIVE_ROCKER_BUNDLES = List.of("rocker.impl.linux", "rocker.server");
    static final long WAIT_MS = 30_000;

    private final Function<Description, Path> workFor;
    BundleContext ctx;
    Path work;
    Path stateDir;
    Path socket;
    private String localFilter;
    private String remoteFilter;
    private ServiceTracker<RockerClient, RockerClient> localTracker;
    private ServiceTracker<RockerClient, RockerClient> remoteTracker;
    private Set<String> mountsBefore;
    private boolean keepRockers;
    private final List<RockerResult> made = new ArrayList<>();
    private final java.util.Map<String, Long> starts = new java.util.HashMap<>();
    private final List<ServiceTracker<?, ?>> trackers = new ArrayList<>();

    /** A fresh work dir for every test. */
    Rig() {
        this(d -> null);
    }

    /** The work dir {@code workFor} names for a test (null: a fresh one). */
    Rig(Function<Description, Path> workFor) {
        this.workFor = workFor;
    }

    @Override
    public Statement apply(Statement base, Description description) {
        return new Statement() {
            @Override
            public void evaluate() throws Throwable {
                Throwable failure = null;
                try {
                    before(description, workFor.apply(description));
                    base.evaluate();
                } catch (Throwable t) {
                    failure = t;
                }
                try {
                    after();
                } catch (Throwable t) {
                    if (failure == null) {
                        failure = t;
                    } else {
                        failure.addSuppressed(t);
                    }
                }
                if (failure != null) {
                    throw failure;
                }
            }
        };
    }

    private void before(Description test, Path given) throws Exception {
        ctx = FrameworkUtil.getBundle(Rig.class).getBundleContext();
        // one state dir (and socket) per test class, in target/: the configuration never changes
        // between the tests of a framework, so the engine and the server are not restarted by it
        stateDir = Path.of(RockerOptions.property("rocker.itest.target"), "itest-state", test.getTestClass().getSimpleName());
        socket = stateDir.resolve("rocker.sock");
        assertTrue("a socket path of at most 107 bytes: " + socket, socket.toString().getBytes().length <= 107);
        mountsBefore = KernelView.mountPoints();
        // one work dir per test under /tmp: images, exec and data dirs
        if (given != null) {
            work = given;
        } else {
            // the apps run as uid 1000 and must reach their exec dirs below it (0755)
            work = WorkDirs.create(Path.of("/tmp"), "rocker-itest-");
        }
        // the services of this configuration (SCR adds the configuration to the service properties)
        localFilter = "(&" + LOCAL + "(stateDir=" + stateDir + "))";
        localTracker = new ServiceTracker<>(ctx, ctx.createFilter(localFilter), null);
        localTracker.open(true);
        remoteFilter = "(&" + REMOTE + "(socket.path=" + socket + "))";
        remoteTracker = new ServiceTracker<>(ctx, ctx.createFilter(remoteFilter), null);
        remoteTracker.open(true);
        configure();
        startRockerBundles();
        local();
        remote();
        await("(&(objectClass=rocker.server.ServerStatus)(socket.path=" + socket + "))");
        assertTrue("the server listens on " + socket, KernelView.eventually(this::socketPresent));
    }

    /**
     * Destroys what is left through the engine, then checks the host. Whatever the outcome, the test's
     * rockers end (a rocker the engine did not destroy is killed through the kernel, and the test fails)
     * and its work dir is removed: a broken bundle must not leave the machine dirty.
     */
    private void after() throws Exception {
        if (work == null) {
            return;
        }
        List<Throwable> problems = new ArrayList<>();
        try {
            if (keepRockers) {
                return;
            }
            try {
                destroyThroughTheEngine();
            } catch (Throwable t) {
                problems.add(t);
            }
            for (RockerResult r : made) {
                if (!KernelView.eventually(() -> !guardAlive(r))) {
                    problems.add(new AssertionError("rocker " + r.guardName() + " (guard pid " + r.guardPid()
                            + ") was not destroyed through the service; killed it"));
                    ProcessHandle.of(r.guardPid()).ifPresent(ProcessHandle::destroyForcibly);
                }
            }
            try {
                assertHostClean();
            } catch (Throwable t) {
                problems.add(t);
            }
            try {
                WorkDirs.delete(work);
            } catch (IOException e) {
                problems.add(e);
            }
        } finally {
            if (localTracker != null) {
                localTracker.close();
            }
            if (remoteTracker != null) {
                remoteTracker.close();
            }
            trackers.forEach(ServiceTracker::close);
        }
        if (!problems.isEmpty()) {
            Throwable first = problems.get(0);
            problems.subList(1, problems.size()).forEach(first::addSuppressed);
            if (first instanceof Exception) {
                throw (Exception) first;
            }
            throw (Error) first;
        }
    }

    private void destroyThroughTheEngine() throws Exception {
        if (localTracker == null) {
            return;
        }
        startRockerBundles();
        RockerClient local;
        try {
            local = local();
        } catch (AssertionError e) {
            if (made.isEmpty()) {
                return; // no engine, and nothing was made: nothing to destroy
            }
            throw e;
        }
        for (RockerInfo r : local.list()) {
            RockerResult d = local.destroy(r.guardName());
            assertEquals("destroying " + r + " after the test: " + d, RockerError.SUCCESS, d.error());
        }
    }

    /** The guard of {@code r} (the very process: same name and start time) is still there. */
    private boolean guardAlive(RockerResult r) {
        Long start = starts.get(r.guardName());
        return KernelView.stat(r.guardPid())
                .map(s -> s.name().equals(r.guardName()) && s.state() != 'Z' && (start == null || start == s.startTime()))
                .orElse(false);
    }

    /** Nothing of ours is left on the host: no rocker process, no keeper, no loop device, no new mount. */
    void assertHostClean() throws Exception {
        assertTrue("no process of our rockers is left: " + KernelView.rockerProcessesMentioning(work.toString()),
                KernelView.eventually(() -> KernelView.rockerProcessesMentioning(work.toString()).isEmpty()));
        assertTrue("no keeper child (live or zombie) is left: " + keeperChildren(),
                KernelView.eventually(() -> keeperChildren().isEmpty()));
        assertTrue("no loop device on our files: " + KernelView.loopsOn(work.toString()),
                KernelView.eventually(() -> KernelView.loopsOn(work.toString()).isEmpty()));
        assertEquals("the host's mounts are unchanged", mountsBefore, KernelView.mountPoints());
    }

    /** Children of this JVM named rocker-keeper (the keepers of rockers), zombies included. */
    static List<String> keeperChildren() throws IOException {
        List<String> out = new ArrayList<>();
        String self = Integer.toString(KernelView.self());
        for (String c : Files.readString(Path.of("/proc/self/task/" + self + "/children")).trim().split(" ")) {
            if (!c.isEmpty()) {
                KernelView.stat(Integer.parseInt(c)).filter(s -> s.name().equals("rocker-keeper")).ifPresent(s -> out.add(s.toString()));
            }
        }
        // children of other threads of the JVM
        try (var tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path t : tasks) {
                if (t.getFileName().toString().equals(self)) {
                    continue;
                }
                try {
                    for (String c : Files.readString(t.resolve("children")).trim().split(" ")) {
                        if (!c.isEmpty()) {
                            KernelView.stat(Integer.parseInt(c)).filter(s -> s.name().equals("rocker-keeper")).ifPresent(s -> out.add(s.toString()));
                        }
                    }
                } catch (IOException e) {
                    // the thread ended
                }
            }
        }
        return out;
    }

    /** Leaves every rocker running after this test (and skips the clean-up checks). */
    void keepRockersRunning() {
        keepRockers = true;
    }

    // ---- configuration and bundles

    /** The engine, the server and the remote client use the work dir, never /run/rocker. */
    void configure() throws Exception {
        ConfigurationAdmin ca = (ConfigurationAdmin) await("(objectClass=" + ConfigurationAdmin.class.getName() + ")");
        // no spare guards: every test must leave no keeper child, and spares (started ahead of need) are
        // keeper children; the spare pool is covered by rocker.impl.linux's SpareGuardTest
        // and no grace period for an image's shared mount: its holder (a keeper child too) goes with its last rocker
        update(ca, ENGINE_PID, "stateDir", stateDir.toString(), "spareGuards", "0", "imageGraceSeconds", "0");
        update(ca, SERVER_PID, "socket.path", socket.toString(), "state.dir", stateDir.toString());
        update(ca, REMOTE_PID, "socket.path", socket.toString());
    }

    private static void update(ConfigurationAdmin ca, String pid, String... keyValues) throws IOException {
        // "?": a multi-location configuration, visible to the bundle whatever its location (reinstalls too)
        Configuration c = ca.getConfiguration(pid, "?");
        Dictionary<String, Object> props = new Hashtable<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            props.put(keyValues[i], keyValues[i + 1]);
        }
        c.updateIfDifferent(props);
    }

    void startRockerBundles() throws Exception {
        for (String bsn : ACTIVE_ROCKER_BUNDLES) {
            Bundle b = bundle(bsn);
            if (b.getState() != Bundle.ACTIVE) {
                b.start();
            }
        }
    }

    Bundle bundle(String bsn) {
        Bundle found = null;
        for (Bundle b : ctx.getBundles()) {
            if (bsn.equals(b.getSymbolicName())) {
                assertTrue("one bundle " + bsn, found == null);
                found = b;
            }
        }
        assertNotNull("bundle " + bsn + " is installed", found);
        return found;
    }

    Bundle bundleOrNull(String bsn) {
        for (Bundle b : ctx.getBundles()) {
            if (bsn.equals(b.getSymbolicName())) {
                return b;
            }
        }
        return null;
    }

    /** Refreshes {@code bundles} (null: the removal-pending ones) and waits until the framework is done. */
    void refresh(Collection<Bundle> bundles) throws Exception {
        FrameworkWiring fw = ctx.getBundle(Constants.SYSTEM_BUNDLE_LOCATION).adapt(FrameworkWiring.class);
        if (bundles != null) {
            assertTrue("the refresh must not reach the test probe: " + fw.getDependencyClosure(bundles),
                    !fw.getDependencyClosure(bundles).contains(ctx.getBundle()));
        }
        CountDownLatch done = new CountDownLatch(1);
        AtomicReference<FrameworkEvent> event = new AtomicReference<>();
        fw.refreshBundles(bundles, e -> {
            event.set(e);
            done.countDown();
        });
        assertTrue("refresh finished", done.await(WAIT_MS, TimeUnit.MILLISECONDS));
        assertEquals("refresh: " + event.get().getThrowable(), FrameworkEvent.PACKAGES_REFRESHED, event.get().getType());
    }

    // ---- services

    /** The local engine's RockerClient (rocker.transport=local), waiting for it. */
    RockerClient local() throws Exception {
        return awaitTracked(localTracker, localFilter, "a RockerClient with rocker.transport=local and stateDir=" + stateDir);
    }

    /**
     * The tracked service, waiting for it; fails at once when the service is registered but cannot be
     * obtained (SCR could not activate its component: the reason is in SCR's log above).
     */
    private RockerClient awaitTracked(ServiceTracker<RockerClient, RockerClient> tracker, String filter, String what) throws Exception {
        long end = System.nanoTime() + WAIT_MS * 1_000_000L;
        while (System.nanoTime() < end) {
            RockerClient c = tracker.waitForService(200);
            if (c != null) {
                return c;
            }
            ServiceReference<?>[] refs = ctx.getServiceReferences((String) null, filter);
            if (refs != null) {
                for (ServiceReference<?> ref : refs) {
                    if (ctx.getService(ref) == null) {
                        fail(what + " is registered by " + ref.getBundle().getSymbolicName()
                                + " but cannot be obtained: its component does not activate (see the log)");
                    }
                    ctx.ungetService(ref);
                }
            }
        }
        fail(what + " is not registered within " + WAIT_MS + " ms");
        return null;
    }

    ServiceReference<RockerClient> localRef() throws Exception {
        local();
        return localTracker.getServiceReference();
    }

    /** Whether a local engine service is registered right now. */
    boolean hasLocal() {
        return !localTracker.isEmpty();
    }

    boolean hasRemote() {
        return !remoteTracker.isEmpty();
    }

    /** The remote RockerClient of rocker.client (rocker.transport=remote), waiting for it. */
    RockerClient remote() throws Exception {
        return awaitTracked(remoteTracker, remoteFilter, "a RockerClient with rocker.transport=remote and socket.path=" + socket);
    }

    ServiceReference<RockerClient> remoteRef() throws Exception {
        remote();
        return remoteTracker.getServiceReference();
    }

    /** A service matching {@code filter}, waiting for it; tracked (kept in use) until the test ends. */
    Object await(String filter) throws InterruptedException, InvalidSyntaxException {
        ServiceTracker<Object, Object> t = new ServiceTracker<>(ctx, ctx.createFilter(filter), null);
        t.open(true);
        // the tracker stays open for the test's life: a service nobody uses may be deactivated by SCR
        trackers.add(t);
        Object s = t.waitForService(WAIT_MS);
        if (s == null) {
            fail("no " + filter + " within " + WAIT_MS + " ms");
        }
        return s;
    }

    /** Whether the server's socket file is there. */
    boolean socketPresent() {
        return Files.exists(socket, java.nio.file.LinkOption.NOFOLLOW_LINKS);
    }

    // ---- rockers

    /** A request with its exec and data dirs in the work dir (exec dir created inside the rocker). */
    RockerRequest.Builder request(Path image, String name, String... overlays) {
        return RockerRequest.builder().appId(7).uid(1000).gid(1000)
                .pkgPath(image.toString())
                .execDir(work.resolve("exec-" + name).toString())
                .dataDir(work.resolve("data-" + name).toString())
                .overlayDirs(overlays);
    }

    String execDir(String name) {
        return work.resolve("exec-" + name).toString();
    }

    /** Builds a rocker through {@code client}; it must succeed. */
    RockerResult start(RockerClient client, RockerRequest request, RockerApp app) {
        RockerResult r = client.enterRocker(request, app);
        track(r);
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        return r;
    }

    /** Records a rocker (made here or elsewhere), so that the clean-up makes sure that it is gone. */
    void track(RockerResult r) {
        if (r.isSuccess()) {
            made.add(r);
            KernelView.stat(r.guardPid()).ifPresent(s -> starts.putIfAbsent(r.guardName(), s.startTime()));
        }
    }

    /** Like {@link #track(RockerResult)}, for a guard whose start time is known. */
    void track(RockerResult r, long startTime) {
        starts.put(r.guardName(), startTime);
        track(r);
    }

    /** The guard names that {@code client} lists. */
    static Set<String> names(RockerClient client) {
        Set<String> out = new TreeSet<>();
        for (RockerInfo i : client.list()) {
            out.add(i.guardName());
        }
        return out;
    }

    /** The rocker is alive as the kernel sees it: its guard carries its name and its app runs. */
    static void assertAlive(RockerResult r) {
        assertTrue("guard " + r.guardName() + " alive: " + KernelView.stat(r.guardPid()),
                KernelView.stat(r.guardPid()).map(s -> s.name().equals(r.guardName()) && s.state() != 'Z').orElse(false));
        assertTrue("app " + r.appPid() + " of " + r.guardName() + " alive", KernelView.alive(r.appPid()));
    }
}
