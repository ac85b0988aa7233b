package org.rocker.examples.consumer.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.bootDelegationPackage;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.cleanCaches;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.mavenBundle;
import static org.ops4j.pax.exam.CoreOptions.options;
import static org.ops4j.pax.exam.CoreOptions.systemPackages;
import static org.ops4j.pax.exam.CoreOptions.workingDirectory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Hashtable;

import javax.inject.Inject;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.tracker.ServiceTracker;
import org.rocker.examples.consumer.Sandboxes;

/**
 * Rocker provisioned from Maven coordinates (mvn: URLs, versions from rocker-bom through the POM's dependencies)
 * in Felix 7.0.5 with SLF4J 1.7 bundles, and this example's component using it: it starts an app in a rocker,
 * sees it listed, and stops it. Needs root and mksquashfs, as Rocker's engine does.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ConsumerIT {
    @Inject
    BundleContext ctx;

    @Configuration
    public Option[] config() {
        return options(
                workingDirectory(System.getProperty("consumer.target") + "/paxexam"),
                cleanCaches(true),
                // jffi imports sun.misc optionally (Unsafe); jnr-posix uses sun.misc.Signal without importing it
                systemPackages("sun.misc"),
                bootDelegationPackage("sun.misc"),
                // SLF4J 1.7 as bundles: the API, and slf4j-simple (a fragment of slf4j.api in 1.7)
                mavenBundle("org.slf4j", "slf4j-api").versionAsInProject(),
                mavenBundle("org.slf4j", "slf4j-simple").versionAsInProject().noStart(),
                // Declarative Services (SCR 2.2 needs the DS, Promise and Function APIs as bundles) and ConfigAdmin
                mavenBundle("org.osgi", "org.osgi.util.function").versionAsInProject(),
                mavenBundle("org.osgi", "org.osgi.util.promise").versionAsInProject(),
                mavenBundle("org.osgi", "org.osgi.service.component").versionAsInProject(),
                mavenBundle("org.apache.felix", "org.apache.felix.scr").versionAsInProject(),
                mavenBundle("org.apache.felix", "org.apache.felix.configadmin").versionAsInProject(),
                // Rocker: the API, the engine (started once configured, see below), its guards (one per CPU: the
                // one of this machine attaches) and native access (jnr-ffi, Rocker's jffi wrap, jffi's natives)
                mavenBundle("org.rocker", "rocker.api").versionAsInProject(),
                mavenBundle("org.ow2.asm", "asm").versionAsInProject(),
                mavenBundle("org.rocker", "com.github.jnr.jffi").versionAsInProject(),
                mavenBundle("com.github.jnr", "jffi").classifier("native").versionAsInProject().noStart(),
                mavenBundle("com.github.jnr", "jnr-ffi").versionAsInProject(),
                mavenBundle("org.rocker", "rocker.impl.linux").versionAsInProject().noStart(),
                mavenBundle("org.rocker", "rocker.impl.linux.x86_64").versionAsInProject().noStart(),
                mavenBundle("org.rocker", "rocker.impl.linux.aarch64").versionAsInProject().noStart(),
                mavenBundle("org.rocker", "rocker.impl.linux.armhf").versionAsInProject().noStart(),
                // this example
                bundle(Path.of(System.getProperty("consumer.bundle")).toUri().toString()),
                junitBundles());
    }

    @Test
    public void theComponentRunsListsAndStopsARocker() throws Exception {
        Path target = Path.of(System.getProperty("consumer.target"));
        // the engine keeps its registry and guard in a state dir: configure it before it starts (else /run/rocker)
        ServiceTracker<ConfigurationAdmin, ConfigurationAdmin> ca = new ServiceTracker<>(ctx, ConfigurationAdmin.class, null);
        ca.open();
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("stateDir", target.resolve("rocker-state").toString());
        props.put("spareGuards", 0);
        ca.waitForService(10_000).getConfiguration("rocker.engine", "?").update(props);
        Bundle engine = installed("rocker.impl.linux");
        engine.start();

        ServiceTracker<Sandboxes, Sandboxes> tracker = new ServiceTracker<>(ctx, Sandboxes.class, null);
        tracker.open();
        Sandboxes sandboxes = tracker.waitForService(30_000);
        assertNotNull("the component is active once a RockerClient is there", sandboxes);

        Path image = image(target, "#!/bin/sh\nexec sleep 1000\n");
        String name = sandboxes.start(7, image, target.resolve("exec"), target.resolve("data"), "/bin/sh", target.resolve("exec") + "/run.sh");
        try {
            assertTrue(name + " is live: " + sandboxes.live(), sandboxes.live().contains(name));
        } finally {
            assertTrue("stopped", sandboxes.stop(name));
        }
        assertFalse(sandboxes.live().contains(name));
        tracker.close();
        ca.close();
    }

    /** Rocker's bundles came from Maven coordinates, and the engine logs through the SLF4J 1.7 bundle. */
    @Test
    public void provisionedFromMavenWithSlf4j17() {
        for (String bsn : new String[] {"rocker.api", "rocker.impl.linux", "com.github.jnr.jffi"}) {
            assertTrue(bsn + ": " + installed(bsn).getLocation(), installed(bsn).getLocation().startsWith("mvn:org.rocker/"));
        }
        Bundle fw = ctx.getBundle(0);
        assertEquals("org.apache.felix.framework", fw.getSymbolicName());
        assertEquals("7.0.5", fw.getVersion().toString());
        Bundle engine = installed("rocker.impl.linux");
        if (engine.getState() == Bundle.INSTALLED) {
            assertTrue("the engine resolves", ctx.getBundle(0).adapt(org.osgi.framework.wiring.FrameworkWiring.class)
                    .resolveBundles(java.util.List.of(engine)));
        }
        boolean found = false;
        for (BundleWire w : engine.adapt(BundleWiring.class).getRequiredWires(BundleRevision.PACKAGE_NAMESPACE)) {
            if ("org.slf4j".equals(w.getCapability().getAttributes().get(BundleRevision.PACKAGE_NAMESPACE))) {
                assertEquals("slf4j.api", w.getProvider().getSymbolicName());
                assertEquals("1.7.36", w.getProvider().getVersion().toString());
                found = true;
            }
        }
        assertTrue("rocker.impl.linux imports org.slf4j", found);
    }

    private Bundle installed(String bsn) {
        for (Bundle b : ctx.getBundles()) {
            if (bsn.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError(bsn + " is not installed");
    }

    /** A squashfs image holding run.sh (mksquashfs, as `rocker pack` makes them). */
    private static Path image(Path target, String script) throws Exception {
        Path src = target.resolve("image-src");
        Files.createDirectories(src);
        Path run = src.resolve("run.sh");
        Files.writeString(run, script);
        run.toFile().setExecutable(true, false);
        Path image = target.resolve("app.squashfs");
        Files.deleteIfExists(image);
        Process p = new ProcessBuilder("mksquashfs", src.toString(), image.toString(), "-noappend", "-quiet", "-no-progress")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals("mksquashfs: " + out, 0, p.waitFor());
        return image;
    }
}
