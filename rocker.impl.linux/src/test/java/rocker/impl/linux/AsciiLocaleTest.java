package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.Rule;
import org.junit.Test;

import rocker.api.RockerApp;
import rocker.api.RockerCaller;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.api.Stdio;
import rocker.testsupport.Images;

/**
 * Paths reach the kernel as the client's UTF-8 in an engine whose JVM has US-ASCII as its charset (started
 * with {@code LC_ALL=C}, as a service manager without a locale starts the server). JNR's default passed
 * every other character as '?', so that two data dirs could become one. The engine runs in a JVM of its
 * own ({@link Child}); this one checks the host.
 */
public class AsciiLocaleTest {
    @Rule
    public final EngineFixture fx = new EngineFixture();

    private static final String DATA = "data-d\u00e4t\u00e4-\u6570\u636e";
    private static final String OUT = "out-\u00fc.txt";

    @Test
    public void nonAsciiPathsAreTheClientsNamesOnTheHost() throws Exception {
        Path img = Images.build(fx.work, "a", Map.of("hi.sh", "#!/bin/sh\necho hi\necho kept > /var/tmp/t\n"));
        ProcessBuilder p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Drocker.guard=" + System.getProperty("rocker.guard"),
                Child.class.getName(), fx.work.toString(), img.toString(), fx.cgroupParent).redirectErrorStream(true)
                .redirectOutput(fx.work.resolve("child.log").toFile());
        p.environment().remove("LANG");
        p.environment().remove("LANGUAGE");
        p.environment().put("LC_ALL", "C");
        Process child = p.start();
        boolean ended = child.waitFor(120, TimeUnit.SECONDS);
        child.destroyForcibly();
        String out = Files.readString(fx.work.resolve("child.log"));
        assertTrue("the child JVM ends: " + out, ended);
        assertEquals(out, 0, child.exitValue());
        assertTrue(out, out.contains("charset ANSI_X3.4-1968\n")); // the child's JVM is the case in point
        assertTrue(out, out.contains("built SUCCESS\nexit 0\n"));
        assertTrue(out, out.contains("overlay PARAM_INVALID app_overlay_dirs '/n\u00f6': is not a dir on this host\n"));

        List<String> names;
        try (Stream<Path> s = Files.list(fx.work)) {
            names = s.map(f -> f.getFileName().toString()).collect(Collectors.toList());
        }
        assertFalse("no name with '?': " + names, names.stream().anyMatch(n -> n.contains("?")));
        assertEquals("hi\n", Files.readString(fx.work.resolve(OUT)));
        assertEquals("the app's write is in its data dir", "kept\n", Files.readString(fx.work.resolve(DATA + "/upper/var/tmp/t")));
    }

    /** The engine in a JVM started with {@code LC_ALL=C}: args work dir, image, cgroup parent. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            String work = args[0];
            // what this JVM's System.out would write as '?'
            java.io.PrintStream out = new java.io.PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
                    java.nio.charset.StandardCharsets.UTF_8);
            out.println("charset " + System.getProperty("sun.jnu.encoding"));
            try (RockerEngine e = new RockerEngine(Path.of(work, "state-child"), () -> System.getProperty("rocker.guard"),
                    Duration.ofSeconds(10), 0, RockerEngine.DEFAULT_HIDDEN_PATHS, args[2])) {
                e.imageGrace(Duration.ZERO);
                e.imageCopyDir(Path.of(work, "copies"));
                RockerRequest.Builder request = RockerRequest.builder().appId(7).uid(1000).gid(1000).pkgPath(args[1])
                        .execDir(work + "/exec-x").dataDir(work + "/" + DATA).overlayDirs("/var");
                RockerResult r = e.enterRocker(request.build(), RockerApp.builder().command("/bin/sh", work + "/exec-x/hi.sh")
                        .stdin(Stdio.discard()).stdout(Stdio.file(work + "/" + OUT)).stderr(Stdio.discard()).build(), RockerCaller.engine());
                out.println("built " + r.error());
                if (r.error() == rocker.api.RockerError.SUCCESS) {
                    out.println("exit " + e.waitForApp(r.guardName(), Duration.ofSeconds(10)).getAsInt());
                    e.destroy(r.guardName());
                }
                RockerResult bad = e.enterRocker(request.dataDir(work + "/data-y").overlayDirs("/n\u00f6").build(),
                        RockerApp.of("/bin/true"), RockerCaller.engine());
                out.println("overlay " + bad.error() + " " + bad.message());
            }
        }

        private Child() {
        }
    }
}
