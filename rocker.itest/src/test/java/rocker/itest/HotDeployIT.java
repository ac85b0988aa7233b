package rocker.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.framework.wiring.FrameworkWiring;

import rocker.api.RockerApp;
import rocker.api.RockerClient;
import rocker.api.RockerError;
import rocker.api.RockerResult;
import rocker.api.Stdio;
import rocker.testsupport.Images;
import rocker.testsupport.KernelView;

/**
 * Scenario 5: hot deployment with rockers running. Every test makes two rockers (one through the
 * engine's service, one through the server), changes the bundles under them, then checks that the
 * rockers lived on, that the new services list and destroy them, that a new rocker can be built, and
 * that the test JVM did not leak threads (rocker-*), file descriptors, mounts or loop devices.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class HotDeployIT {
    private static final String ENGINE = "rocker.impl.linux";
    private static final String FRAGMENT = "rocker.impl.linux.x86_64";
    private static final String SERVER = "rocker.server";
    private static final String CLIENT = "rocker.client";
    private static final String CLI = "rocker.cli";

    @Rule
    public final Rig rig = new Rig();

    private Path image;
    private List<String> threadsBefore;
    private int fdsBefore;
    private String fdTargetsBefore;

    @Configuration
    public Option[] config() {
        return RockerOptions.framework("HotDeployIT");
    }

    /** Two running rockers, after one warm-up cycle, with the JVM's threads and fds noted. */
    private RockerResult[] twoRockers() throws Exception {
        image = Images.build(rig.work, "hot", Map.of(
                "tick.sh", "#!/bin/sh\nwhile :; do echo tick; sleep 0.1; done\n",
                "hello.sh", "#!/bin/sh\necho hello\n"));
        // warm up: JNR bindings, the server's first connection, the remote client
        cycle("warm");
        assertTrue("a settled JVM", KernelView.eventually(() -> KernelView.rockerThreads().equals(steadyThreads())));
        threadsBefore = KernelView.rockerThreads();
        fdsBefore = KernelView.openFds();
        fdTargetsBefore = KernelView.fdTargets();
        RockerResult a = rig.start(rig.local(), rig.request(image, "a", "/var").build(), tick("a"));
        RockerResult b = rig.start(rig.remote(), rig.request(image, "b", "/etc").build(), tick("b"));
        assertEquals(Set.of(a.guardName(), b.guardName()), Rig.names(rig.local()));
        return new RockerResult[] {a, b};
    }

    /** The threads of one active engine and one listening server. */
    private static List<String> steadyThreads() {
        return List.of("rocker-exit-watcher", "rocker-server-accept");
    }

    private RockerApp tick(String name) {
        return RockerApp.builder().command("/bin/sh", rig.execDir(name) + "/tick.sh").stdout(Stdio.file(rig.work.resolve(name + ".ticks").toString())).build();
    }

    /** A rocker built, run to its end and destroyed, through the local and through the remote service. */
    private void cycle(String name) throws Exception {
        for (RockerClient c : List.of(rig.local(), rig.remote())) {
            Path out = rig.work.resolve(name + ".out");
            Files.deleteIfExists(out);
            RockerResult r = rig.start(c, rig.request(image, name).build(),
                    RockerApp.builder().command("/bin/sh", rig.execDir(name) + "/hello.sh").stdout(Stdio.file(out.toString())).build());
            assertEquals(0, c.waitForApp(r.guardName(), java.time.Duration.ofSeconds(20)).getAsInt());
            assertEquals("hello\n", Files.readString(out));
            assertEquals(RockerError.SUCCESS, c.destroy(r.guardName()).error());
        }
    }

    /** The rockers (named a and b) are alive and still running their apps: their output keeps growing. */
    private void assertRunning(RockerResult a, RockerResult b) throws Exception {
        assertTicking(a, "a");
        assertTicking(b, "b");
    }

    private void assertTicking(RockerResult r, String name) throws Exception {
        Rig.assertAlive(r);
        Path ticks = rig.work.resolve(name + ".ticks");
        long size = Files.size(ticks);
        assertTrue(r.guardName() + " still runs its app", KernelView.eventually(() -> Files.size(ticks) > size));
    }

    /** The new services list the rockers, a new rocker works, and both old rockers are destroyed. */
    private void finish(RockerResult a, RockerResult b) throws Exception {
        assertRunning(a, b);
        assertEquals(Set.of(a.guardName(), b.guardName()), Rig.names(rig.local()));
        assertTrue("the server's socket is back", KernelView.eventually(rig::socketPresent));
        assertEquals(Set.of(a.guardName(), b.guardName()), Rig.names(rig.remote()));
        cycle("after");
        assertEquals(RockerError.SUCCESS, rig.remote().destroy(a.guardName()).error());
        assertEquals(RockerError.SUCCESS, rig.local().destroy(b.guardPid(), b.guardName()).error());
        assertTrue(rig.local().list().isEmpty());
        assertTrue(KernelView.eventually(() -> !KernelView.alive(a.guardPid()) && !KernelView.alive(b.guardPid())));
        assertNoLeaks();
    }

    private void assertNoLeaks() throws Exception {
        assertTrue("rocker-* threads: " + threadsBefore + " -> " + KernelView.rockerThreads(),
                KernelView.eventually(() -> KernelView.rockerThreads().equals(threadsBefore)));
        assertTrue("fds: " + fdsBefore + " " + fdTargetsBefore + "\n -> " + KernelView.openFds() + " " + KernelView.fdTargets(),
                KernelView.eventually(() -> KernelView.openFds() <= fdsBefore));
        rig.assertHostClean();
    }

    private void assertFragmentAttached() {
        List<BundleWire> hosted = rig.bundle(ENGINE).adapt(BundleWiring.class).getProvidedWires(BundleRevision.HOST_NAMESPACE);
        assertEquals(1, hosted.size());
        assertEquals(FRAGMENT, hosted.get(0).getRequirer().getSymbolicName());
    }

    private static long serviceId(org.osgi.framework.ServiceReference<?> ref) {
        return (Long) ref.getProperty(Constants.SERVICE_ID);
    }

    // 5a
    @Test
    public void stoppingAndStartingTheServerKeepsTheRockers() throws Exception {
        RockerResult[] r = twoRockers();
        Bundle server = rig.bundle(SERVER);
        server.stop();
        assertTrue("the socket goes away", KernelView.eventually(() -> !rig.socketPresent()));
        // the remote client is rocker.client's: it stays, and says that no server answers
        assertTrue("the remote client stays", rig.hasRemote());
        RockerResult down = rig.remote().getGuardName(r[0].guardPid());
        assertEquals(down.toString(), RockerError.SERVER_UNADDR_INVALID, down.error());
        assertRunning(r[0], r[1]);
        assertEquals("the engine still lists them", Set.of(r[0].guardName(), r[1].guardName()), Rig.names(rig.local()));
        assertTrue("the server's threads end: " + KernelView.rockerThreads(),
                KernelView.eventually(() -> KernelView.rockerThreads().equals(List.of("rocker-exit-watcher"))));

        server.start();
        assertTrue("the socket comes back", KernelView.eventually(rig::socketPresent));
        finish(r[0], r[1]);
    }

    // 5b
    @Test
    public void updatingTheEngineAndItsFragmentReRegistersTheService() throws Exception {
        RockerResult[] r = twoRockers();
        long before = serviceId(rig.localRef());
        Bundle engine = rig.bundle(ENGINE);
        Bundle fragment = rig.bundle(FRAGMENT);
        long engineId = engine.getBundleId();
        try (InputStream in = Files.newInputStream(RockerOptions.bundleFile(FRAGMENT))) {
            fragment.update(in);
        }
        try (InputStream in = Files.newInputStream(RockerOptions.bundleFile(ENGINE))) {
            engine.update(in);
        }
        rig.refresh(List.of(engine, fragment));
        assertEquals(Bundle.ACTIVE, engine.getState());
        assertEquals(engineId, rig.bundle(ENGINE).getBundleId());
        assertFragmentAttached();
        long after = serviceId(rig.localRef());
        assertNotEquals("a new RockerClient service", before, after);
        finish(r[0], r[1]);
    }

    // 5c
    @Test
    public void uninstallingAndReinstallingTheEngine() throws Exception {
        RockerResult[] r = twoRockers();
        Bundle engine = rig.bundle(ENGINE);
        Bundle fragment = rig.bundle(FRAGMENT);
        String engineLocation = engine.getLocation();
        String fragmentLocation = fragment.getLocation();
        fragment.uninstall();
        engine.uninstall();
        rig.refresh(null);
        assertNull(rig.bundleOrNull(ENGINE));
        assertFalse("no local engine", rig.hasLocal());
        // the server holds the engine dynamically: its socket stays and it says there is no engine
        assertTrue("the socket stays without an engine", rig.socketPresent());
        RockerResult down = rig.remote().getGuardName(r[0].guardPid());
        assertEquals(down.toString(), RockerError.SYS, down.error());
        assertTrue(down.message(), down.message().contains("no local engine"));
        assertRunning(r[0], r[1]);
        // the server (still listening) keeps its own rocker-server-* threads; the engine's are gone
        assertTrue("no engine thread left: " + KernelView.rockerThreads(), KernelView.eventually(
                () -> KernelView.rockerThreads().stream().allMatch(t -> t.startsWith("rocker-server"))));

        rig.ctx.installBundle(fragmentLocation);
        Bundle again = rig.ctx.installBundle(engineLocation);
        again.start();
        assertNotNull(rig.local());
        assertFragmentAttached();
        assertTrue("the server serves with the new engine", KernelView.eventually(
                () -> rig.remote().getGuardName(r[0].guardPid()).isSuccess()));
        finish(r[0], r[1]);
    }

    // 5d
    @Test
    public void refreshingThePackagesUnderTheEngine() throws Exception {
        RockerResult[] r = twoRockers();
        long before = serviceId(rig.localRef());
        Bundle jffi = rig.bundle("com.github.jnr.jffi");
        FrameworkWiring fw = rig.ctx.getBundle(0).adapt(FrameworkWiring.class);
        java.util.Collection<Bundle> closure = fw.getDependencyClosure(List.of(jffi));
        for (String bsn : List.of("com.github.jnr.jffi.native", "com.github.jnr.ffi", "com.github.jnr.unixsocket", ENGINE, FRAGMENT, SERVER,
                CLI)) {
            assertTrue(bsn + " is refreshed with jffi: " + closure, closure.contains(rig.bundle(bsn)));
        }
        // the remote client uses the JDK's Unix sockets: no native code, nothing to refresh
        assertFalse(CLIENT + " does not depend on jffi: " + closure, closure.contains(rig.bundle(CLIENT)));
        ClassLoader engineLoader = rig.bundle(ENGINE).adapt(BundleWiring.class).getClassLoader();
        ClassLoader jffiLoader = jffi.adapt(BundleWiring.class).getClassLoader();
        rig.refresh(List.of(jffi));
        assertTrue("the engine has a new class loader", engineLoader != rig.bundle(ENGINE).adapt(BundleWiring.class).getClassLoader());
        assertTrue("jffi (and its native library) has a new class loader", jffiLoader != jffi.adapt(BundleWiring.class).getClassLoader());
        long after = serviceId(rig.localRef());
        assertNotEquals("a new RockerClient service", before, after);
        assertFragmentAttached();
        finish(r[0], r[1]);
    }

    // 5e
    @Test
    public void updatingRestartingAndReinstallingTheClientAndTheCli() throws Exception {
        RockerResult[] r = twoRockers();
        long before = serviceId(rig.remoteRef());
        Bundle client = rig.bundle(CLIENT);
        Bundle cli = rig.bundle(CLI);
        try (InputStream in = Files.newInputStream(RockerOptions.bundleFile(CLIENT))) {
            client.update(in);
        }
        try (InputStream in = Files.newInputStream(RockerOptions.bundleFile(CLI))) {
            cli.update(in);
        }
        // the server imports the protocol from rocker.client: it is refreshed too, and binds again
        FrameworkWiring fw = rig.ctx.getBundle(0).adapt(FrameworkWiring.class);
        assertTrue(fw.getDependencyClosure(List.of(client)).contains(rig.bundle(SERVER)));
        rig.refresh(List.of(client, cli));
        assertEquals(Bundle.ACTIVE, client.getState());
        assertEquals(Bundle.ACTIVE, cli.getState());
        assertNotEquals("a new remote RockerClient service", before, serviceId(rig.remoteRef()));
        assertRunning(r[0], r[1]);
        assertTrue("the server's socket is back", KernelView.eventually(rig::socketPresent));
        assertEquals(Set.of(r[0].guardName(), r[1].guardName()), Rig.names(rig.remote()));

        client.stop();
        assertFalse("no remote client while its bundle is stopped", rig.hasRemote());
        assertTrue("the server keeps listening", rig.socketPresent());
        assertRunning(r[0], r[1]);
        client.start();
        assertEquals(Set.of(r[0].guardName(), r[1].guardName()), Rig.names(rig.remote()));

        String location = cli.getLocation();
        cli.uninstall();
        rig.refresh(null);
        assertNull(rig.bundleOrNull(CLI));
        assertRunning(r[0], r[1]);
        rig.ctx.installBundle(location).start();
        assertEquals(Bundle.ACTIVE, rig.bundle(CLI).getState());
        finish(r[0], r[1]);
    }
}
