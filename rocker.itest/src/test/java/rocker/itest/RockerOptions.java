package rocker.itest;

import static org.ops4j.pax.exam.CoreOptions.bootDelegationPackage;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.cleanCaches;
import static org.ops4j.pax.exam.CoreOptions.composite;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.mavenBundle;
import static org.ops4j.pax.exam.CoreOptions.options;
import static org.ops4j.pax.exam.CoreOptions.systemPackages;
import static org.ops4j.pax.exam.CoreOptions.workingDirectory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.options.UrlProvisionOption;

/**
 * The framework every test class gets: the launcher's bundle set (cnf/rocker.bndrun -runbundles), in
 * its order, with the Rocker bundles of this build installed by file URL from target/rocker-bundles
 * and everything else at the versions of the root pom's dependencyManagement (versionAsInProject).
 *
 * <p>The engine, which does something on start, is installed but not started: each test configures
 * it first through ConfigAdmin ({@link Rig}), so that it never sees the defaults (/run/rocker) of a real
 * host. The server and the remote client are started: they do nothing until configured (configuration
 * policy REQUIRE), and {@link Rig} configures them with the engine. The CLI bundle is started too: under
 * Pax Exam there is no bnd launcher, so its command-line component never runs.
 */
final class RockerOptions {
    /** The Rocker bundle files (target/rocker-bundles/NAME.jar) and the module dirs that build them. */
    static final Map<String, String> ROCKER_MODULES = new LinkedHashMap<>();

    static {
        ROCKER_MODULES.put("com.github.jnr.jffi", "cnf/jffi");
        ROCKER_MODULES.put("rocker.api", "rocker.api");
        ROCKER_MODULES.put("rocker.client", "rocker.client");
        ROCKER_MODULES.put("rocker.impl.linux", "rocker.impl.linux");
        ROCKER_MODULES.put("rocker.impl.linux.x86_64", "rocker.impl.linux/fragments/x86_64");
        ROCKER_MODULES.put("rocker.server", "rocker.server");
        ROCKER_MODULES.put("rocker.cli", "rocker.cli");
    }

    private RockerOptions() {
    }

    static String property(String key) {
        String v = System.getProperty(key);
        if (v == null || v.isBlank()) {
            throw new IllegalStateException("system property " + key + " is not set: run the tests through Maven "
                    + "(mvn -B verify, or mvn -B -pl rocker.itest -am verify)");
        }
        return v;
    }

    /** The file URL of a Rocker bundle of this build (target/rocker-bundles/NAME.jar). */
    static String rockerBundle(String name) {
        return bundleFile(name).toUri().toString();
    }

    static Path bundleFile(String name) {
        return Path.of(property("rocker.itest.bundles"), name + ".jar");
    }

    /** The options of a test class; {@code name} keeps its framework storage apart in target/paxexam/. */
    static Option[] framework(String name) {
        return options(
                common(name),

                // the launcher's -runbundles, in its order
                mavenBundle("org.osgi", "org.osgi.util.function").versionAsInProject(),
                mavenBundle("org.osgi", "org.osgi.util.promise").versionAsInProject(),
                mavenBundle("org.osgi", "org.osgi.service.component").versionAsInProject(),
                mavenBundle("org.osgi", "org.osgi.service.log").versionAsInProject(),
                mavenBundle("org.apache.felix", "org.apache.felix.configadmin").versionAsInProject(),
                mavenBundle("org.apache.felix", "org.apache.felix.metatype").versionAsInProject(),
                mavenBundle("org.apache.felix", "org.apache.felix.scr").versionAsInProject(),
                mavenBundle("org.apache.felix", "org.apache.felix.gogo.runtime").versionAsInProject(),
                mavenBundle("org.apache.felix", "org.apache.felix.gogo.command").versionAsInProject(),
                mavenBundle("org.ow2.asm", "asm").versionAsInProject(),
                rocker("com.github.jnr.jffi"),
                mavenBundle("com.github.jnr", "jffi").classifier("native").versionAsInProject().noStart(),
                mavenBundle("com.github.jnr", "jnr-ffi").versionAsInProject(),
                mavenBundle("com.github.jnr", "jnr-constants").versionAsInProject(),
                mavenBundle("com.github.jnr", "jnr-posix").versionAsInProject(),
                mavenBundle("com.github.jnr", "jnr-enxio").versionAsInProject(),
                mavenBundle("com.github.jnr", "jnr-unixsocket").versionAsInProject(),
                rocker("rocker.api"),
                rocker("rocker.client"),
                rocker("rocker.impl.linux").noStart(),
                rocker("rocker.impl.linux.x86_64").noStart(),
                mavenBundle("org.apache.felix", "org.apache.felix.gogo.shell").versionAsInProject(),
                rocker("rocker.server"),
                rocker("rocker.cli"));
    }

    /**
     * A framework for an application that only wants the remote RockerClient: rocker.api, rocker.client
     * and what they need (SCR for the component, ConfigAdmin to configure it); no engine, no server, no
     * CLI, no Gogo, and no native access: the client uses the JDK's Unix sockets.
     */
    static Option[] clientOnly(String name) {
        return options(
                common(name),
                mavenBundle("org.osgi", "org.osgi.util.function").versionAsInProject(),
                mavenBundle("org.osgi", "org.osgi.util.promise").versionAsInProject(),
                mavenBundle("org.osgi", "org.osgi.service.component").versionAsInProject(),
                mavenBundle("org.apache.felix", "org.apache.felix.configadmin").versionAsInProject(),
                mavenBundle("org.apache.felix", "org.apache.felix.scr").versionAsInProject(),
                rocker("rocker.api"),
                rocker("rocker.client"));
    }

    /** What every framework gets: its storage, SLF4J and sun.misc as in the launcher, JUnit. */
    private static Option common(String name) {
        checkBundlesAreThisBuilds();
        String slf4j = property("rocker.itest.slf4j.version");
        return composite(
                // framework storage and Pax Exam's own files in target/, fresh for every framework
                workingDirectory(Path.of(property("rocker.itest.target"), "paxexam", name).toString()),
                cleanCaches(true),
                // as the launcher (cnf/rocker.bndrun): SLF4J (api + simple provider) is on the framework
                // class path and the system bundle exports it; sun.misc is a system package and boot
                // delegated (jffi, jnr-posix); Gogo starts no console (stdin is Surefire's channel here).
                // org.slf4j is also exported as 1.7.36 (the same classes) for Pax Exam's own bundles only,
                // which import [1.4,2); every Rocker bundle imports [2.0,3) (ServiceIT checks the wiring).
                systemPackages(
                        "org.slf4j;version=" + slf4j,
                        "org.slf4j.spi;version=" + slf4j,
                        "org.slf4j.event;version=" + slf4j,
                        "org.slf4j.helpers;version=" + slf4j,
                        "org.slf4j;version=1.7.36",
                        "sun.misc",
                        // not the launcher's: the shared test helpers (a plain jar on the test class path), so
                        // that the probe (DynamicImport-Package: *) uses the classes the rest of the JVM uses
                        "rocker.testsupport"),
                bootDelegationPackage("sun.misc"),
                frameworkProperty("gosh.args").value("--nointeractive"),
                junitBundles());
    }

    private static UrlProvisionOption rocker(String name) {
        if (!Files.isRegularFile(bundleFile(name))) {
            throw new IllegalStateException(bundleFile(name) + " is missing: maven-dependency-plugin copies the "
                    + "reactor's Rocker bundles there in pre-integration-test");
        }
        return bundle(rockerBundle(name));
    }

    /**
     * The copied bundles must be the ones the sibling modules just built, not stale copies from the
     * local Maven repository (e.g. after mvn -pl rocker.itest without -am).
     */
    private static void checkBundlesAreThisBuilds() {
        Path root = Path.of(property("rocker.itest.root"));
        String version = property("rocker.itest.version");
        for (Map.Entry<String, String> m : ROCKER_MODULES.entrySet()) {
            Path built = root.resolve(m.getValue()).resolve("target").resolve(m.getKey() + "-" + version + ".jar");
            Path copied = bundleFile(m.getKey());
            try {
                if (Files.isRegularFile(built) && !Arrays.equals(Files.readAllBytes(built), Files.readAllBytes(copied))) {
                    throw new IllegalStateException(copied + " is not " + built + " (stale copy from the local repository?): "
                            + "build with the reactor, mvn -B -pl rocker.itest -am verify");
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
