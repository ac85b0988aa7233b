package rocker.repository;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.BeforeClass;
import org.junit.Test;

import aQute.bnd.header.Parameters;
import biz.aQute.resolve.Bndrun;

/**
 * The index this build made (target/index.xml) resolves a runtime with bnd's resolver (the one of
 * bnd-resolver-maven-plugin and Bndtools) from one requirement, the RockerClient service, with nothing but the
 * index and rocker-runtime.bndrun, as a third party's bndrun would: {@code -include} the runtime file,
 * {@code -standalone} the index, {@code -runrequires} the service.
 */
public class ResolveIndexIT {
    private static Path index;
    private static Path runtime;
    private static Path work;

    @BeforeClass
    public static void paths() throws Exception {
        index = Path.of(property("rocker.repository.index"));
        runtime = Path.of(property("rocker.repository.runtime"));
        work = Path.of(property("rocker.repository.work"));
        assertTrue(index + " exists", Files.isRegularFile(index));
        Files.createDirectories(work);
    }

    private static String property(String key) {
        String v = System.getProperty(key);
        if (v == null || v.isBlank()) {
            throw new IllegalStateException(key + " is not set: run through Maven (mvn -B -pl rocker.repository -am verify)");
        }
        return v;
    }

    /** Every resource in the index is a bundle or a fragment: the POMs of Rocker's bundles depend on bundles only. */
    @Test
    public void theIndexHoldsBundlesOnly() throws Exception {
        String xml = Files.readString(index);
        List<String> identities = new ArrayList<>();
        List<String> synthetic = new ArrayList<>();
        Matcher m = Pattern.compile("<capability namespace=\"osgi.identity\">(.*?)</capability>", Pattern.DOTALL).matcher(xml);
        while (m.find()) {
            String cap = m.group(1);
            String name = attribute(cap, "osgi.identity");
            String type = attribute(cap, "type");
            if ("bnd.synthetic".equals(type)) {
                // bnd's view of a multi-release jar on Java N (NAME__N), not an artifact of its own
                synthetic.add(name);
                continue;
            }
            assertTrue(name + " is a bundle or fragment, not " + type, "osgi.bundle".equals(type) || "osgi.fragment".equals(type));
            identities.add(name);
        }
        for (String name : synthetic) {
            assertTrue(name + " is a variant of a bundle of the index", identities.contains(name.replaceAll("__\\d+$", "")));
        }
        int resources = count(xml, "<resource>");
        assertEquals("one identity per resource", resources, identities.size() + synthetic.size());
        for (String bsn : List.of("rocker.api", "rocker.client", "rocker.impl.linux", "rocker.impl.linux.x86_64",
                "rocker.impl.linux.aarch64", "rocker.impl.linux.armhf", "rocker.server", "rocker.cli", "com.github.jnr.jffi",
                "com.github.jnr.jffi.native", "com.github.jnr.ffi", "org.apache.felix.scr", "org.apache.felix.framework")) {
            assertTrue(bsn + " is in the index: " + identities, identities.contains(bsn));
        }
        // jnr-ffi's plain dependencies must not come in (jffi without a manifest, the assemblers)
        assertTrue(identities.toString(), identities.stream().noneMatch(n -> n.contains("a64asm") || n.contains("x86asm")));
        System.out.println("index: " + identities.size() + " bundles (" + synthetic.size() + " multi-release variants), "
                + Files.size(index) + " bytes");
    }

    /** Only the RockerClient service is required: the resolver finds a provider and all it needs. */
    @Test
    public void rockerClientAloneResolves() throws Exception {
        List<String> bundles = resolve("client", "osgi.service;filter:='(objectClass=rocker.api.RockerClient)'");
        assertTrue(bundles.toString(), bundles.contains("rocker.api"));
        assertTrue("a provider of RockerClient: " + bundles, bundles.contains("rocker.client") || bundles.contains("rocker.impl.linux"));
        assertTrue("DS for the provider's component: " + bundles, bundles.contains("org.apache.felix.scr"));
    }

    /**
     * The engine with this machine's guard and jffi's natives (fragments: nothing requires them, so they are named,
     * as rocker-runtime.bndrun tells): the native chain, jnr-ffi, our jffi wrap and its native fragment.
     */
    @Test
    public void theEngineAndThisMachinesGuardResolve() throws Exception {
        String arch = switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64" -> "aarch64";
            default -> "armhf";
        };
        List<String> bundles = resolve("engine", "osgi.service;filter:='(objectClass=rocker.api.RockerClient)',"
                + "bnd.identity;id='rocker.impl.linux'," + "bnd.identity;id='rocker.impl.linux." + arch + "',"
                + "bnd.identity;id='com.github.jnr.jffi.native'");
        for (String bsn : List.of("rocker.api", "rocker.impl.linux", "rocker.impl.linux." + arch, "com.github.jnr.ffi",
                "com.github.jnr.jffi", "com.github.jnr.jffi.native", "org.objectweb.asm", "org.apache.felix.scr")) {
            assertTrue(bsn + " in " + bundles, bundles.contains(bsn));
        }
    }

    private static List<String> resolve(String name, String requires) throws Exception {
        Path bndrun = work.resolve(name + ".bndrun");
        Files.writeString(bndrun, "-include: " + runtime.toAbsolutePath() + "\n"
                + "-standalone: " + index.toUri() + "\n"
                + "-runrequires: " + requires + "\n");
        try (Bndrun run = Bndrun.createBndrun(null, bndrun.toFile())) {
            String spec;
            try {
                spec = run.resolve(false, false);
            } finally {
                if (!run.isOk()) {
                    System.err.println(name + ": " + run.getErrors() + " " + run.getWarnings());
                }
            }
            assertTrue(name + ": " + run.getErrors(), run.isOk());
            List<String> bsns = new ArrayList<>(new Parameters(spec).keySet());
            System.out.println(name + " resolves to " + bsns.size() + " bundles: " + bsns);
            return bsns;
        }
    }

    private static String attribute(String cap, String name) {
        Matcher m = Pattern.compile("<attribute name=\"" + Pattern.quote(name) + "\" value=\"([^\"]*)\"").matcher(cap);
        return m.find() ? m.group(1) : null;
    }

    private static int count(String s, String sub) {
        int n = 0;
        for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + 1)) {
            n++;
        }
        return n;
    }

}
