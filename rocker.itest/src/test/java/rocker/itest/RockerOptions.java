package rocker.itest;

import static org.ops4j.pax.exam.CoreOptions.bootDelegationPackage;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.cleanCaches;
import static org.ops4j.pax.exam.CoreOptions.composite;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.options;
import static org.ops4j.pax.exam.CoreOptions.systemPackages;
import static org.ops4j.pax.exam.CoreOptions.workingDirectory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.options.UrlProvisionOption;

/**
 * The framework every test class gets: the bundles of the launcher this build just exported
 * (cnf/target/rocker.jar, made from cnf/rocker.bndrun -runbundles), in the launcher's order. There is
 * no second list: the launcher jar holds each bundle as an embedded jar and the ordered list in its
 * launcher.properties ({@code launch.bundles}); they are extracted once per test JVM to
 * target/launcher-bundles/BSN.jar and installed from there by file URL.
 *
 * <p>The engine, which does something on start, is installed but not started: each test configures
 * it first through ConfigAdmin ({@link Rig}), so that it never sees the defaults (/run/rocker) of a real
 * host. Fragments are never started. Everything else is started as in the launcher: the server and the
 * remote client do nothing until configured (configuration policy REQUIRE), and {@link Rig} configures
 * them with the engine; the CLI's command-line component needs the bnd launcher, which Pax Exam is not.
 */
final class RockerOptions {
    /** The engine: installed, not started (see the class comment). */
    static final String ENGINE = "rocker.impl.linux";

    /**
     * What an application that only wants the remote RockerClient installs, picked from the launcher's
     * list: rocker.api, rocker.client and what they need (SCR and its APIs for the component, ConfigAdmin
     * to configure it). No engine, no server, no CLI, no Gogo and no native access: the client uses the
     * JDK's Unix sockets.
     */
    static final Set<String> CLIENT_ONLY = Set.of(
            "org.osgi.util.function", "org.osgi.util.promise", "org.osgi.service.component",
            "org.apache.felix.configadmin", "org.apache.felix.scr", "rocker.api", "rocker.client");

    /** One bundle of the launcher: its symbolic name, extracted jar, kind, and file name in rocker.jar (jar/NAME). */
    record LauncherBundle(String name, Path file, boolean fragment, String embedded) {
    }

    /** Set once the launcher's bundles are extracted in this JVM (also seen from the probe's class loader). */
    private static final String EXTRACTED = "rocker.itest.launcher.extracted";

    private static List<LauncherBundle> bundles;

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

    /** The options of a test class; {@code name} keeps its framework storage apart in target/paxexam/. */
    static Option[] framework(String name) {
        return options(common(name), provision(launcherBundles()));
    }

    /** A framework for an application that only wants the remote RockerClient ({@link #CLIENT_ONLY}). */
    static Option[] clientOnly(String name) {
        List<LauncherBundle> picked = launcherBundles().stream().filter(b -> CLIENT_ONLY.contains(b.name())).toList();
        if (picked.size() != CLIENT_ONLY.size()) {
            throw new IllegalStateException("the launcher lacks some of " + CLIENT_ONLY + ": it has " + names(launcherBundles()));
        }
        return options(common(name), provision(picked));
    }

    /** The file URL a bundle of the launcher is installed from (its location in the framework). */
    static String rockerBundle(String name) {
        return bundleFile(name).toUri().toString();
    }

    /** The extracted jar of a bundle of the launcher (target/launcher-bundles/NAME.jar). */
    static Path bundleFile(String name) {
        return launcherBundles().stream().filter(b -> b.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(name + " is not in the launcher: " + names(launcherBundles())))
                .file();
    }

    /** The symbolic names of the launcher's bundles, in its order. */
    static List<String> launcherBundleNames() {
        return names(launcherBundles());
    }

    /** The symbolic names of the bundles this build made (the Rocker bundles and our jffi wrap). */
    static List<String> rockerBundleNames() {
        String suffix = "-" + property("rocker.itest.version") + ".jar";
        return launcherBundles().stream().filter(b -> b.embedded().endsWith(suffix)).map(LauncherBundle::name).toList();
    }

    private static List<String> names(List<LauncherBundle> list) {
        return list.stream().map(LauncherBundle::name).toList();
    }

    private static Option provision(List<LauncherBundle> list) {
        List<Option> out = new ArrayList<>();
        for (LauncherBundle b : list) {
            UrlProvisionOption o = bundle(b.file().toUri().toString());
            out.add(b.fragment() || b.name().equals(ENGINE) ? o.noStart() : o);
        }
        return composite(out.toArray(Option[]::new));
    }

    /** What every framework gets: its storage, SLF4J and sun.misc as in the launcher, JUnit. */
    private static Option common(String name) {
        String slf4j = property("rocker.itest.slf4j.version");
        return composite(
                // framework storage and Pax Exam's own files in target/, fresh for every framework
                workingDirectory(Path.of(property("rocker.itest.target"), "paxexam", name).toString()),
                cleanCaches(true),
                // as the launcher (cnf/rocker.bndrun): SLF4J (api + simple provider) is on the framework
                // class path and the system bundle exports it; sun.misc is a system package and boot
                // delegated (jffi, jnr-posix); Gogo starts no console (stdin is Surefire's channel here).
                // org.slf4j is also exported as 1.7.36 (the same classes) for Pax Exam's own bundles,
                // which import [1.4,2); the Rocker bundles import [1.7,3) and get it from the system bundle either way
                // (ServiceIT checks the wiring; examples/consumer runs them on SLF4J 1.7 bundles).
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

    /** The launcher's bundles in its order, extracted (once per JVM) to target/launcher-bundles/. */
    static synchronized List<LauncherBundle> launcherBundles() {
        if (bundles == null) {
            bundles = Collections.unmodifiableList(readLauncher());
        }
        return bundles;
    }

    private static List<LauncherBundle> readLauncher() {
        Path jar = Path.of(property("rocker.itest.launcher"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: the launcher is exported by the cnf module; "
                    + "build with the reactor, mvn -B -pl rocker.itest -am verify");
        }
        Path dir = Path.of(property("rocker.itest.target"), "launcher-bundles");
        boolean extract = !jar.toString().equals(System.getProperty(EXTRACTED));
        List<LauncherBundle> out = new ArrayList<>();
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            ZipEntry propsEntry = zip.getEntry("launcher.properties");
            if (propsEntry == null) {
                throw new IllegalStateException(jar + " has no launcher.properties: not a bnd executable jar?");
            }
            Properties props = new Properties();
            try (InputStream in = zip.getInputStream(propsEntry)) {
                props.load(in);
            }
            if (extract) {
                deleteTree(dir);
                Files.createDirectories(dir);
            }
            for (String entry : props.getProperty("launch.bundles", "").split(",")) {
                entry = entry.trim();
                if (entry.isEmpty()) {
                    continue;
                }
                Path tmp = dir.resolve(Path.of(entry).getFileName());
                if (extract) {
                    ZipEntry e = zip.getEntry(entry);
                    if (e == null) {
                        throw new IllegalStateException(jar + " lists " + entry + " in launch.bundles but does not hold it");
                    }
                    try (InputStream in = zip.getInputStream(e)) {
                        Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
                String name;
                boolean fragment;
                String embedded = Path.of(entry).getFileName().toString();
                Path file;
                if (extract) {
                    try (JarFile j = new JarFile(tmp.toFile())) {
                        Attributes main = j.getManifest().getMainAttributes();
                        name = main.getValue("Bundle-SymbolicName").split(";")[0].trim();
                        fragment = main.getValue("Fragment-Host") != null;
                    }
                    file = dir.resolve(name + ".jar");
                    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
                } else {
                    Map.Entry<String, Boolean> m = extractedManifest(dir, embedded);
                    name = m.getKey();
                    fragment = m.getValue();
                    file = dir.resolve(name + ".jar");
                }
                out.add(new LauncherBundle(name, file, fragment, embedded));
            }
            if (extract) {
                writeIndex(dir, out);
                checkBundlesAreThisBuilds(out);
                System.setProperty(EXTRACTED, jar.toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** index.properties: embedded jar name -> "BSN" or "BSN;fragment", for later readers in this JVM. */
    private static void writeIndex(Path dir, List<LauncherBundle> list) throws IOException {
        Properties index = new Properties();
        for (LauncherBundle b : list) {
            index.setProperty(b.embedded(), b.name() + (b.fragment() ? ";fragment" : ""));
        }
        try (var out = Files.newOutputStream(dir.resolve("index.properties"))) {
            index.store(out, "the launcher's bundles, extracted by RockerOptions");
        }
    }

    private static Map.Entry<String, Boolean> extractedManifest(Path dir, String embedded) throws IOException {
        Properties index = new Properties();
        try (InputStream in = Files.newInputStream(dir.resolve("index.properties"))) {
            index.load(in);
        }
        String v = index.getProperty(embedded);
        if (v == null) {
            throw new IllegalStateException(dir + "/index.properties does not list " + embedded);
        }
        return Map.entry(v.split(";")[0], v.endsWith(";fragment"));
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Collections.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /**
     * The launcher's own bundles (NAME-VERSION.jar of this project version) must be the ones the sibling
     * modules just built (MODULE/target/NAME-VERSION.jar), not those of an older export (e.g. after a
     * module was rebuilt without cnf).
     */
    private static void checkBundlesAreThisBuilds(List<LauncherBundle> list) throws IOException {
        Path root = Path.of(property("rocker.itest.root")).toAbsolutePath().normalize();
        String suffix = "-" + property("rocker.itest.version") + ".jar";
        Map<String, Path> built = new LinkedHashMap<>();
        try (Stream<Path> s = Files.find(root, 5, (p, a) -> a.isRegularFile() && p.getFileName().toString().endsWith(suffix)
                && p.getParent().getFileName().toString().equals("target") && !p.startsWith(root.resolve("rocker.itest"))
                && !p.startsWith(root.resolve(".git")))) {
            s.forEach(p -> built.putIfAbsent(p.getFileName().toString(), p));
        }
        for (LauncherBundle b : list) {
            Path module = built.get(b.embedded());
            if (b.embedded().endsWith(suffix) && module != null
                    && !Arrays.equals(Files.readAllBytes(module), Files.readAllBytes(b.file()))) {
                throw new IllegalStateException("the launcher's " + b.embedded() + " is not " + module + " (the launcher is "
                        + "older than the module): build with the reactor, mvn -B -pl rocker.itest -am verify");
            }
        }
    }
}
