package rocker.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Hashtable;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.tracker.ServiceTracker;

import rocker.api.RockerApp;
import rocker.api.RockerClient;
import rocker.api.RockerError;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.testsupport.WorkDirs;

/**
 * An application that only wants the remote RockerClient installs rocker.api and rocker.client (and
 * what they need: SCR, ConfigAdmin; no native access): with configuration PID rocker.remote it gets a
 * working RockerClient service (rocker.transport=remote) against a server that runs elsewhere (here
 * {@code rocker serve} of the launcher jar, a process of its own), and its framework has no engine and
 * no server: it listens on no socket.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ClientOnlyIT {
    private static final String REMOTE = "(&(objectClass=rocker.api.RockerClient)(rocker.transport=remote))";

    private BundleContext ctx;
    private Path work;
    private Path socket;
    private Process server;

    @Configuration
    public Option[] config() {
        return RockerOptions.clientOnly("ClientOnlyIT");
    }

    @Before
    public void setUp() throws Exception {
        ctx = FrameworkUtil.getBundle(ClientOnlyIT.class).getBundleContext();
        // the app runs as uid 1000 and must reach its exec dir below it (0755)
        work = WorkDirs.create(Path.of("/tmp"), "rocker-itest-client-");
        socket = Files.createDirectory(work.resolve("sock")).resolve("rocker.sock");
    }

    @After
    public void tearDown() throws Exception {
        try {
            Launcher.stop(server);
        } finally {
            WorkDirs.delete(work);
        }
    }

    @Test
    public void theFrameworkHasTheClientAndNothingElseOfRocker() {
        Set<String> rocker = new TreeSet<>();
        for (Bundle b : ctx.getBundles()) {
            if (b.getSymbolicName().startsWith("rocker.")) {
                rocker.add(b.getSymbolicName());
                assertEquals(b.getSymbolicName(), Bundle.ACTIVE, b.getState());
            }
        }
        assertEquals(Set.of("rocker.api", "rocker.client"), rocker);
    }

    @Test
    public void theRemoteClientWorksAgainstAServerAndOpensNoSocket() throws Exception {
        Set<String> listeningBefore = Sockets.listeningUnix();
        Path image = image();
        server = Launcher.serve(socket, work.resolve("state"), work.resolve("server.log"));

        ConfigurationAdmin cm = ctx.getService(ctx.getServiceReference(ConfigurationAdmin.class));
        org.osgi.service.cm.Configuration c = cm.getConfiguration("rocker.remote", "?");
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("socket.path", socket.toString());
        c.update(props);
        ServiceTracker<RockerClient, RockerClient> tracker = new ServiceTracker<>(ctx, ctx.createFilter(REMOTE), null);
        tracker.open();
        try {
            RockerClient client = tracker.waitForService(TimeUnit.SECONDS.toMillis(30));
            assertNotNull("a RockerClient with rocker.transport=remote", client);
            ServiceReference<RockerClient> ref = tracker.getServiceReference();
            assertEquals("rocker.client", ref.getBundle().getSymbolicName());
            assertEquals(socket.toString(), ref.getProperty("socket.path"));

            assertTrue(client.list().isEmpty());
            RockerRequest request = RockerRequest.builder().appId(7).uid(1000).gid(1000).pkgPath(image.toString())
                    .execDir(work.resolve("exec").toString()).dataDir(work.resolve("data").toString()).overlayDirs("/etc").build();
            RockerResult r = client.enterRocker(request, RockerApp.of("/bin/sh", work.resolve("exec") + "/run.sh"));
            assertEquals(r.toString(), RockerError.SUCCESS, r.error());
            try {
                assertEquals(List.of(r.guardName()), client.list().stream().map(i -> i.guardName()).toList());
                assertEquals(r.guardName(), client.getGuardName(r.guardPid()).guardName());
                assertEquals(OptionalInt.of(3), client.waitForApp(r.guardName(), Duration.ofSeconds(30)));
                // every call of the interface reaches the server (the component once forwarded all but stats)
                assertTrue("the figures of a live rocker", client.stats(r.guardName()).isPresent());
            } finally {
                assertEquals(RockerError.SUCCESS, client.destroy(r.guardName()).error());
            }
            assertTrue(client.list().isEmpty());
        } finally {
            tracker.close();
            c.delete();
        }

        // no engine and no server in this framework: no local RockerClient, no ServerStatus, no listener
        assertNull(ctx.getServiceReferences(RockerClient.class.getName(), "(rocker.transport=local)"));
        assertNull(ctx.getServiceReferences("rocker.server.ServerStatus", null));
        assertEquals("this JVM listens on no new socket", listeningBefore, Sockets.listeningUnix());
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            assertFalse("no engine or server thread: " + t.getName(),
                    t.getName().startsWith("rocker-server") || t.getName().startsWith("rocker-exit-watcher"));
        }
    }

    /** A squashfs image with run.sh, which exits with 3. */
    private Path image() throws Exception {
        Path dir = Files.createDirectory(work.resolve("image"));
        Path run = Files.writeString(dir.resolve("run.sh"), "#!/bin/sh\nexit 3\n");
        Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path image = work.resolve("app.squashfs");
        Process p = new ProcessBuilder("mksquashfs", dir.toString(), image.toString(), "-noappend", "-no-progress")
                .redirectErrorStream(true).redirectOutput(new File("/dev/null")).start();
        assertTrue("mksquashfs", p.waitFor(60, TimeUnit.SECONDS));
        assertEquals("mksquashfs", 0, p.exitValue());
        return image;
    }
}
