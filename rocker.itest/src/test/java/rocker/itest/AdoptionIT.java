package rocker.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import org.junit.FixMethodOrder;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.MethodSorters;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.Constants;

import rocker.api.RockerApp;
import rocker.api.RockerClient;
import rocker.api.RockerError;
import rocker.api.RockerResult;
import rocker.api.Stdio;
import rocker.testsupport.Images;
import rocker.testsupport.KernelView;

/**
 * Scenario 6, across two frameworks (PerMethod: each test method gets its own Felix, and Pax Exam
 * stops the first one cleanly before the second starts; both share the state dir through a hand-off
 * file in target/). First the whole Rocker bundle set is stopped and started again under running
 * rockers; then the framework shuts down with the rockers live, and a new framework adopts them,
 * lists them through both services, and destroys them; nothing is left afterwards.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class AdoptionIT {
    /** Stopped in this order and started in the reverse order (the fragment goes with its host). */
    private static final List<String> ROCKER_SET = List.of("rocker.cli", "rocker.server", "rocker.client", "rocker.impl.linux", "rocker.api",
            "com.github.jnr.jffi");

    @Rule
    public final Rig rig = new Rig(d -> d.getMethodName().startsWith("b_") ? handedOverWork() : null);

    @Configuration
    public Option[] config() {
        return RockerOptions.framework("AdoptionIT");
    }

    private static Path handoff() {
        return Path.of(RockerOptions.property("rocker.itest.target"), "adoption-handoff.properties");
    }

    private static Path handedOverWork() {
        try {
            return Files.exists(handoff()) ? Path.of(load().getProperty("work")) : null;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static Properties load() throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(handoff())) {
            p.load(r);
        }
        return p;
    }

    private RockerApp tick(String name) {
        return RockerApp.builder().command("/bin/sh", rig.execDir(name) + "/tick.sh")
                .stdout(Stdio.file(rig.work.resolve(name + ".ticks").toString())).build();
    }

    private void assertTicking(String guardName, int guardPid, int appPid, String name) throws Exception {
        assertTrue("guard " + guardName + " alive", KernelView.stat(guardPid).map(s -> s.name().equals(guardName)).orElse(false));
        assertTrue("app of " + guardName + " alive", KernelView.alive(appPid));
        Path ticks = rig.work.resolve(name + ".ticks");
        long size = Files.size(ticks);
        assertTrue(guardName + " still runs its app", KernelView.eventually(() -> Files.size(ticks) > size));
    }

    @Test
    public void a_rockersOutliveTheRockerBundlesAndTheFramework() throws Exception {
        Path image = Images.build(rig.work, "adopt", Map.of("tick.sh", "#!/bin/sh\nwhile :; do echo tick; sleep 0.1; done\n"));
        RockerResult a = rig.start(rig.local(), rig.request(image, "a", "/var").appId(101).build(), tick("a"));
        RockerResult b = rig.start(rig.remote(), rig.request(image, "b", "/etc").appId(102).build(), tick("b"));

        // the whole Rocker bundle set stops: no service, no socket, no thread of ours; the rockers run on
        for (String bsn : ROCKER_SET) {
            rig.bundle(bsn).stop();
        }
        assertFalse(rig.hasLocal());
        assertFalse(rig.hasRemote());
        assertFalse("the socket is gone", rig.socketPresent());
        assertTrue("no rocker-* thread: " + KernelView.rockerThreads(), KernelView.eventually(() -> KernelView.rockerThreads().isEmpty()));
        assertTicking(a.guardName(), a.guardPid(), a.appPid(), "a");
        assertTicking(b.guardName(), b.guardPid(), b.appPid(), "b");

        // ... and starts again: the new engine adopts them from the state dir
        for (int i = ROCKER_SET.size() - 1; i >= 0; i--) {
            rig.bundle(ROCKER_SET.get(i)).start();
        }
        assertEquals(Set.of(a.guardName(), b.guardName()), Rig.names(rig.local()));
        assertTrue(KernelView.eventually(rig::socketPresent));
        assertEquals(Set.of(a.guardName(), b.guardName()), Rig.names(rig.remote()));

        // hand them over to the next framework, and leave them running
        Properties p = new Properties();
        p.setProperty("work", rig.work.toString());
        p.setProperty("framework", rig.ctx.getProperty(Constants.FRAMEWORK_UUID));
        for (Object[] r : new Object[][] {{"a", a}, {"b", b}}) {
            RockerResult res = (RockerResult) r[1];
            p.setProperty(r[0] + ".name", res.guardName());
            p.setProperty(r[0] + ".guardPid", Integer.toString(res.guardPid()));
            p.setProperty(r[0] + ".appPid", Integer.toString(res.appPid()));
            p.setProperty(r[0] + ".start", Long.toString(KernelView.stat(res.guardPid()).orElseThrow().startTime()));
        }
        try (Writer w = Files.newBufferedWriter(handoff())) {
            p.store(w, "AdoptionIT: rockers left running by a_, adopted and destroyed by b_");
        }
        rig.keepRockersRunning();
    }

    @Test
    public void b_aNewFrameworkAdoptsThemAndDestroysThem() throws Exception {
        assertTrue("a_ handed its rockers over in " + handoff(), Files.exists(handoff()));
        Properties p = load();
        try {
            for (String r : List.of("a", "b")) {
                // whatever happens below, the clean-up makes sure that these are gone
                rig.track(RockerResult.success(Integer.parseInt(p.getProperty(r + ".appPid")), Integer.parseInt(p.getProperty(r + ".guardPid")),
                        p.getProperty(r + ".name"), "handed over"), Long.parseLong(p.getProperty(r + ".start")));
            }
            assertNotEquals("a new framework", p.getProperty("framework"), rig.ctx.getProperty(Constants.FRAMEWORK_UUID));
            assertEquals("a new framework: one engine, one server, nothing of the old framework's",
                    List.of("rocker-exit-watcher", "rocker-server-accept"),
                    // the new engine's image-holder timer (it checks the holders the old framework's rockers use)
                    KernelView.rockerThreads().stream().filter(t -> !t.equals("rocker-images")).toList());
            RockerClient local = rig.local();
            RockerClient remote = rig.remote();
            for (String r : List.of("a", "b")) {
                String name = p.getProperty(r + ".name");
                int guardPid = Integer.parseInt(p.getProperty(r + ".guardPid"));
                // the very same processes: same name and start time, still running their apps
                assertEquals(Long.parseLong(p.getProperty(r + ".start")), KernelView.stat(guardPid).orElseThrow().startTime());
                assertTicking(name, guardPid, Integer.parseInt(p.getProperty(r + ".appPid")), r);
            }
            Set<String> both = Set.of(p.getProperty("a.name"), p.getProperty("b.name"));
            assertEquals(both, Rig.names(local));
            assertEquals(both, Rig.names(remote));
            assertEquals(Set.of(101, 102), Set.copyOf(local.list().stream().map(i -> i.appId()).toList()));

            assertEquals(RockerError.SUCCESS, local.destroy(p.getProperty("a.name")).error());
            assertEquals(RockerError.SUCCESS, remote.destroy(Integer.parseInt(p.getProperty("b.guardPid")), p.getProperty("b.name")).error());
            assertTrue(local.list().isEmpty());
            assertTrue(remote.list().isEmpty());
            rig.assertHostClean();
        } finally {
            Files.delete(handoff());
        }
    }

}
