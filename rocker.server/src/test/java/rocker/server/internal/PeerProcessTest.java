package rocker.server.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.junit.Assume.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.Test;

/**
 * PeerProcess's own reading of /proc (real files of real processes): the NUL-terminated paths it builds
 * without the JDK's string code, and the "NSpid:" ids it finds, for a process of this pid namespace and
 * for one in a pid namespace of its own.
 */
public class PeerProcessTest {

    @Test
    public void procPathsAreNulTerminatedAscii() {
        assertArrayEquals("/proc/self/fdinfo/0\0".getBytes(StandardCharsets.US_ASCII), PeerProcess.procPath("/proc/self/fdinfo/", 0, ""));
        assertArrayEquals("/proc/2147483647/status\0".getBytes(StandardCharsets.US_ASCII),
                PeerProcess.procPath("/proc/", Integer.MAX_VALUE, "/status"));
        assertArrayEquals("/proc/40960/status\0".getBytes(StandardCharsets.US_ASCII), PeerProcess.procPath("/proc/", 40960, "/status"));
    }

    @Test
    public void aProcessOfThisNamespaceHasOneId() throws IOException {
        long me = ProcessHandle.current().pid();
        assertEquals(List.of(Long.toString(me)), PeerProcess.nspid(PeerProcess.procPath("/proc/", (int) me, "/status")));
        // the very line the kernel wrote, as the JDK reads it
        String line = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("NSpid:")).findFirst().orElseThrow();
        assertEquals(List.of(line.substring(6).trim().split("\\s+")), PeerProcess.nspid(PeerProcess.procPath("/proc/", (int) me, "/status")));
    }

    @Test
    public void aProcessInAPidNamespaceOfItsOwnHasTwoIds() throws Exception {
        assumeTrue("needs root and unshare(1)", "root".equals(System.getProperty("user.name")) && Files.isExecutable(Path.of("/usr/bin/unshare")));
        Process unshare = new ProcessBuilder("unshare", "--pid", "--fork", "sleep", "30").redirectErrorStream(true).start();
        try {
            ProcessHandle sleeper = sleeperOf(unshare);
            List<String> ids = PeerProcess.nspid(PeerProcess.procPath("/proc/", (int) sleeper.pid(), "/status"));
            assertEquals("its pid here, then in its own namespace: " + ids, List.of(Long.toString(sleeper.pid()), "1"), ids);
        } finally {
            unshare.descendants().forEach(ProcessHandle::destroyForcibly);
            unshare.destroyForcibly();
            assertTrue(unshare.waitFor(10, TimeUnit.SECONDS));
        }
    }

    @Test
    public void aFileWithoutTheLineHasNoIds() throws IOException {
        assertEquals(List.of(), PeerProcess.nspid(PeerProcess.procPath("/proc/", (int) ProcessHandle.current().pid(), "/stat")));
    }

    @Test
    public void aMissingFileIsAnIOExceptionNamingIt() {
        try {
            PeerProcess.nspid(PeerProcess.procPath("/proc/", Integer.MAX_VALUE, "/status"));
            fail("read a process that cannot exist");
        } catch (IOException e) {
            assertTrue(e.getMessage(), e.getMessage().startsWith("open /proc/2147483647/status: errno 2"));
        }
    }

    /**
     * A status with many supplementary groups has a long "Groups:" line before "NSpid:" (kernels without
     * pidfds read it): found past the first reads, and wherever the line falls on a read's boundary.
     */
    @Test
    public void theLineIsFoundFarIntoTheFileAndAcrossReads() throws IOException {
        Path dir = Files.createTempDirectory("peer-process");
        try {
            Path f = dir.resolve("status");
            Files.writeString(f, "Name:\tx\nGroups:\t" + "1234567 ".repeat(40_000) + "\nNSpid:\t7\t1\nTail:\t0\n");
            assertEquals(List.of("7", "1"), PeerProcess.nspid(path(f)));
            for (int filler = 4060; filler <= 4110; filler++) {
                Files.writeString(f, "G:" + "x".repeat(filler) + "\nNSpid:\t12345\t1\n" + "y".repeat(5000) + "\n");
                assertEquals("filler " + filler, List.of("12345", "1"), PeerProcess.nspid(path(f)));
            }
            Files.writeString(f, "G:" + "x".repeat(4085) + "\nNSpid:\t42");
            assertEquals("a last line without its newline", List.of("42"), PeerProcess.nspid(path(f)));
            Files.write(f, new byte[(1 << 20) + 1]);
            try {
                PeerProcess.nspid(path(f));
                fail("read more than 1 MiB");
            } catch (IOException e) {
                assertTrue(e.getMessage(), e.getMessage().endsWith("status: more than 1048576 bytes"));
            }
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : (Iterable<Path>) files::iterator) Files.delete(p);
            }
            Files.delete(dir);
        }
    }

    private static byte[] path(Path f) {
        return (f.toString() + "\0").getBytes(StandardCharsets.UTF_8);
    }

    /** unshare's child once it runs sleep (its command line says so), within 10 s. */
    private static ProcessHandle sleeperOf(Process unshare) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < end) {
            Optional<ProcessHandle> child = unshare.children().findFirst();
            if (child.isPresent() && child.get().info().command().map(c -> c.endsWith("/sleep")).orElse(false)) {
                return child.get();
            }
            Thread.sleep(10);
        }
        throw new AssertionError("unshare --pid --fork sleep did not start sleep within 10 s");
    }
}
