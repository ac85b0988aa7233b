package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.Rule;
import org.junit.Test;

import rocker.api.RockerApp;
import rocker.api.RockerCaller;
import rocker.api.RockerError;
import rocker.api.RockerInfo;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.api.Stdio;
import rocker.impl.linux.sys.Fd;
import rocker.impl.linux.sys.Posix;
import rocker.testsupport.Images;

/**
 * Paths reach the kernel as the client's UTF-8 in an engine whose JVM has US-ASCII as its charset (started
 * with {@code LC_ALL=C}, as a service manager without a locale starts the server). JNR's default passed
 * every other character as '?', so that two data dirs could become one. The engine runs in a JVM of its
 * own ({@link Child}); this one checks the host through the bindings (its own locale may be ASCII too).
 */
public class AsciiLocaleTest {
    @Rule
    public final EngineFixture fx = new EngineFixture();

    private static final String PARENT = "p-\u00e4";
    private static final String DATA = "data-d\u00e4t\u00e4-\u6570\u636e";
    private static final String OUT = "out-\u00fc.txt";
    private static final String SPAWNED = "spawned-\u00f6";

    @Test
    public void nonAsciiPathsAreTheClientsNamesOnTheHost() throws Exception {
        Path img = Images.build(fx.work, "a", Map.of("hi.sh", "#!/bin/sh\necho hi\necho kept > /var/tmp/t\n"));
        // since JDK 18 the default charset is UTF-8 whatever the locale, unless COMPAT asks for the locale's
        String compat = Runtime.version().feature() >= 18 ? "-Dfile.encoding=COMPAT" : "-Dfile.encoding.unset=true";
        ProcessBuilder p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Drocker.guard=" + System.getProperty("rocker.guard"), compat,
                Child.class.getName(), fx.work.toString(), img.toString(), fx.cgroupParent).redirectErrorStream(true)
                .redirectOutput(fx.work.resolve("child.log").toFile());
        for (String v : List.of("LANG", "LANGUAGE", "LC_CTYPE")) p.environment().remove(v);
        p.environment().put("LC_ALL", "C");
        int work = Posix.open(fx.work.toString(), Posix.O_RDONLY | Fd.O_DIRECTORY, 0);
        try {
            Process child = p.start();
            boolean ended = child.waitFor(120, TimeUnit.SECONDS);
            child.destroyForcibly();
            String out = Files.readString(fx.work.resolve("child.log"));
            assertTrue("the child JVM ends: " + out, ended);
            assertEquals(out, 0, child.exitValue());
            // the child's JVM is the case in point: JNR converts in its default charset
            assertTrue(out, out.contains("charsets ANSI_X3.4-1968 US-ASCII\n"));
            assertTrue(out, out.contains("spawned 0\n"));
            assertTrue(out, out.contains("built SUCCESS\nexit 0\n"));
            assertTrue(out, out.contains("overlay PARAM_INVALID app_overlay_dirs '/n\u00f6': is not a dir on this host\n"));

            // read with the bindings: names as the kernel's bytes, decoded as UTF-8
            List<String> names = Fd.names(work, "work");
            assertTrue(names.toString(), names.containsAll(List.of(PARENT, OUT, SPAWNED)));
            assertFalse("no name with '?': " + names, names.stream().anyMatch(n -> n.contains("?")));
            assertEquals("hi\n", read(work, OUT));
            assertEquals("the app's write is in its data dir, in the parent made for it", "kept\n",
                    read(work, PARENT + "/" + DATA + "/upper/var/tmp/t"));
        } finally {
            Posix.close(work);
            // whatever the child left (it may have died with its rocker alive), then the names the fixture's
            // removal (java.nio) cannot make in a JVM whose own locale is ASCII
            try (RockerEngine e = new RockerEngine(fx.work.resolve("state-child"), () -> System.getProperty("rocker.guard"),
                    Duration.ofSeconds(10), 0, RockerEngine.DEFAULT_HIDDEN_PATHS, fx.cgroupParent)) {
                e.imageGrace(Duration.ZERO);
                for (RockerInfo r : e.list()) e.destroy(r.guardName());
            }
            Process rm = new ProcessBuilder("/bin/sh", "-c", "rm -rf -- \"$1\"/p-* \"$1\"/out-*.txt \"$1\"/spawned-*", "sh",
                    fx.work.toString()).inheritIO().start();
            assertEquals(0, rm.waitFor());
        }
    }

    private static String read(int dir, String name) {
        int fd = Fd.openat(dir, name, Posix.O_RDONLY, 0, name);
        try {
            return Fd.readStart(fd, 4096, name);
        } finally {
            Posix.close(fd);
        }
    }

    /** The engine in a JVM started with {@code LC_ALL=C}: args work dir, image, cgroup parent. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            String work = args[0];
            // what this JVM's System.out would write as '?'
            java.io.PrintStream out = new java.io.PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
                    StandardCharsets.UTF_8);
            out.println("charsets " + System.getProperty("sun.jnu.encoding") + " " + Charset.defaultCharset().name());
            // the engine's own argument vectors (the guard's) are ASCII: a command of this test's shows spawn's
            int pid = Posix.spawn("/bin/mkdir", new String[] {"mkdir", work + "/" + SPAWNED}, new String[0], new int[] {0, 1, 2});
            out.println("spawned " + Posix.waitpid(pid, 0));
            try (RockerEngine e = new RockerEngine(Path.of(work, "state-child"), () -> System.getProperty("rocker.guard"),
                    Duration.ofSeconds(10), 0, RockerEngine.DEFAULT_HIDDEN_PATHS, args[2])) {
                e.imageGrace(Duration.ZERO);
                e.imageCopyDir(Path.of(work, "copies"));
                RockerRequest.Builder request = RockerRequest.builder().appId(7).uid(1000).gid(1000).pkgPath(args[1])
                        .execDir(work + "/exec-x").dataDir(work + "/" + PARENT + "/" + DATA).overlayDirs("/var");
                RockerResult r = e.enterRocker(request.build(), RockerApp.builder().command("/bin/sh", work + "/exec-x/hi.sh")
                        .stdin(Stdio.discard()).stdout(Stdio.file(work + "/" + OUT)).stderr(Stdio.discard()).build(), RockerCaller.engine());
                out.println("built " + r.error());
                if (r.error() == RockerError.SUCCESS) {
                    try {
                        out.println("exit " + e.waitForApp(r.guardName(), Duration.ofSeconds(10)).getAsInt());
                    } finally {
                        e.destroy(r.guardName());
                    }
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
