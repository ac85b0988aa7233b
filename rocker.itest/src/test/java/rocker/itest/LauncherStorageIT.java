package rocker.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import rocker.testsupport.KernelView;
import rocker.testsupport.WorkDirs;

/**
 * Framework storage and everything else the launcher unpacks (docs/launcher.md): {@code ./rocker} gives
 * every JVM a private temp dir ({@code TMPDIR/rocker-tmp.PIDNS.PID.START.RANDOM}); the JVM removes it when
 * it ends, and the next {@code ./rocker} removes the dirs of JVMs that were killed, and nothing else:
 * not a live launcher's, not another user's, not a symlink's target. Each test has a TMPDIR of its own.
 */
public class LauncherStorageIT {
    private static final int KILLS = 5;

    private Path work;
    private Path tmp;
    private RockerScript rocker;
    private final List<Process> servers = new ArrayList<>();

    @Before
    public void setUp() throws Exception {
        assertTrue("the launcher jar is built before the integration tests: " + Launcher.JAR, Files.isRegularFile(Launcher.JAR));
        work = WorkDirs.create(Path.of("/tmp"), "rocker-itest-storage-");
        tmp = Files.createDirectory(work.resolve("tmp"));
        rocker = new RockerScript(tmp);
    }

    @After
    public void tearDown() throws Exception {
        for (Process p : servers) {
            if (p.isAlive()) {
                p.destroy();
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
        WorkDirs.deleteQuietly(work);
    }

    private Process serve(String name) throws Exception {
        Path sock = Files.createDirectories(work.resolve("sock-" + name)).resolve("rocker.sock");
        Process p = rocker.serve(List.of(), sock, work.resolve("state-" + name), work.resolve(name + ".log"));
        servers.add(p);
        return p;
    }

    private static Path frameworkStorage(Path privateTmp) throws Exception {
        try (Stream<Path> s = Files.list(privateTmp)) {
            List<Path> fw = s.filter(p -> p.getFileName().toString().matches("osgi\\.\\d+\\.fw")).collect(Collectors.toList());
            assertEquals("one framework storage in " + privateTmp + ": " + fw, 1, fw.size());
            return fw.get(0);
        }
    }

    private static long fileCount(Path dir) throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).count();
        }
    }

    @Test
    public void killedLaunchersLeaveNothingOnceTheNextOneStartsAndALiveOnesStorageStays() throws Exception {
        // a launcher that lives through it all
        Process live = serve("live");
        Path liveTmp = RockerScript.privateTmpOf(live.pid()).orElseThrow(() -> new AssertionError("no -Djava.io.tmpdir"));
        assertEquals(tmp, liveTmp.getParent());
        assertTrue(liveTmp.toString(), liveTmp.getFileName().toString().matches("rocker-tmp\\.\\d+\\." + live.pid() + "\\.\\d+\\.\\w+"));
        // what the launcher unpacked is all in its private dir: storage, class-path jars, jffi's library
        Set<String> unpacked = RockerScript.filesOf(live.pid(), tmp).stream()
                .filter(f -> f.matches(".*/(osgi\\.\\d+\\.fw/.*|resource\\d+\\.jar|jffi\\d+\\.so)( \\(deleted\\))?")).collect(Collectors.toCollection(TreeSet::new));
        assertTrue("the framework storage: " + unpacked, unpacked.stream().anyMatch(f -> f.contains("/osgi.")));
        assertTrue("the launcher's class path: " + unpacked, unpacked.stream().anyMatch(f -> f.contains("/resource")));
        assertTrue("jffi's library: " + unpacked, unpacked.stream().anyMatch(f -> f.contains("/jffi")));
        for (String f : unpacked) {
            assertTrue(f + " is in the launcher's private dir " + liveTmp, f.startsWith(liveTmp + "/"));
        }
        Path liveStorage = frameworkStorage(liveTmp);
        long liveFiles = fileCount(liveStorage);

        Path killedTmp = null;
        for (int i = 1; i <= KILLS; i++) {
            Process p = serve("killed" + i);
            Path pTmp = RockerScript.privateTmpOf(p.pid()).orElseThrow();
            if (killedTmp != null) {
                assertFalse("the start of launcher " + i + " removed the dir of the one killed before it: " + killedTmp,
                        Files.exists(killedTmp, LinkOption.NOFOLLOW_LINKS));
            }
            p.destroyForcibly(); // SIGKILL: no shutdown hook runs
            assertTrue(p.waitFor(10, TimeUnit.SECONDS));
            assertEquals(137, p.exitValue());
            assertTrue("a killed launcher leaves its dir behind, storage and all", Files.isDirectory(frameworkStorage(pTmp)));
            killedTmp = pTmp;
        }

        // the next start, whatever its command (here a client of the live server), removes the last one
        Launcher.Run listed = rocker.run(work, "ls", "--socket", work.resolve("sock-live/rocker.sock").toString());
        assertEquals(listed.toString(), 0, listed.code());
        assertFalse("removed: " + killedTmp, Files.exists(killedTmp, LinkOption.NOFOLLOW_LINKS));
        // the live launcher's storage is untouched, and nothing else is left (a client command, which runs
        // without a framework, extracts nothing and makes no dir of its own)
        assertEquals(Set.of(liveTmp.getFileName().toString()), rocker.tmpEntries());
        assertEquals(liveStorage, frameworkStorage(liveTmp));
        assertEquals(liveFiles, fileCount(liveStorage));
        assertTrue(live.isAlive());

        // a launcher that stops normally removes its own dir
        live.destroy();
        assertTrue(live.waitFor(20, TimeUnit.SECONDS));
        assertEquals(143, live.exitValue());
        assertEquals(Set.of(), rocker.tmpEntries());
    }

    @Test
    public void theSweepRemovesOnlyDeadDirsOfOurUidAndPidNamespaceAndFollowsNoSymlink() throws Exception {
        String ns = Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString().replaceAll("\\D", "");
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        long dead = gone.pid();
        long self = ProcessHandle.current().pid();
        long selfStart = KernelView.stat((int) self).orElseThrow().startTime();
        Path victim = Files.createDirectory(work.resolve("victim"));
        Files.writeString(victim.resolve("keep"), "precious");

        // removed: a dead JVM's dir (with a symlink inside: removed, its target kept) and one whose pid now
        // belongs to another process (same pid, another start time)
        Path deadDir = Files.createDirectory(tmp.resolve("rocker-tmp." + ns + "." + dead + ".1.dead"));
        Files.createSymbolicLink(deadDir.resolve("link"), victim);
        Files.createSymbolicLink(deadDir.resolve("file-link"), victim.resolve("keep"));
        Files.createDirectories(deadDir.resolve("osgi.1.fw/bundle1"));
        Files.writeString(deadDir.resolve("osgi.1.fw/bundle1/bundle.jar"), "x");
        Path reused = Files.createDirectory(tmp.resolve("rocker-tmp." + ns + "." + self + "." + (selfStart - 1) + ".reused"));
        // kept: a live JVM's, a symlink, another uid's, another pid namespace's, names the sweep does not own
        Set<String> kept = new TreeSet<>(Set.of(
                "rocker-tmp." + ns + "." + self + "." + selfStart + ".alive",
                "rocker-tmp." + ns + "." + dead + ".1.symlink",
                "rocker-tmp." + ns + "." + dead + ".1.nobody",
                "rocker-tmp.1." + dead + ".1.otherns",
                "rocker-tmp." + ns + ".x.1.garbage",
                "osgi.42.fw"));
        Files.createDirectory(tmp.resolve("rocker-tmp." + ns + "." + self + "." + selfStart + ".alive"));
        Files.createSymbolicLink(tmp.resolve("rocker-tmp." + ns + "." + dead + ".1.symlink"), victim);
        Path nobody = Files.createDirectory(tmp.resolve("rocker-tmp." + ns + "." + dead + ".1.nobody"));
        Files.writeString(nobody.resolve("theirs"), "x");
        Files.setAttribute(nobody.resolve("theirs"), "unix:uid", 65534);
        Files.setAttribute(nobody, "unix:uid", 65534);
        Files.createDirectory(tmp.resolve("rocker-tmp.1." + dead + ".1.otherns"));
        Files.createDirectory(tmp.resolve("rocker-tmp." + ns + ".x.1.garbage"));
        Files.createDirectory(tmp.resolve("osgi.42.fw"));

        Launcher.Run help = rocker.run(work, "--help");
        assertEquals(help.toString(), 0, help.code());

        assertEquals(kept, rocker.tmpEntries());
        assertFalse(Files.exists(deadDir, LinkOption.NOFOLLOW_LINKS));
        assertFalse(Files.exists(reused, LinkOption.NOFOLLOW_LINKS));
        assertEquals("the targets of symlinks are untouched", "precious", Files.readString(victim.resolve("keep")));
        try (Stream<Path> s = Files.list(victim)) {
            assertEquals(List.of("keep"), s.map(p -> p.getFileName().toString()).collect(Collectors.toList()));
        }
        assertTrue(Files.exists(nobody.resolve("theirs")));
    }
}
