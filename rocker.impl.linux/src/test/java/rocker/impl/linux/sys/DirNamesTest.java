package rocker.impl.linux.sys;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import rocker.testsupport.WorkDirs;

/** {@link Fd#forEachName}: every name once, over many getdents64 buffers, stopping when told, while the callback lists other dirs. */
public class DirNamesTest {
    private Path work;

    @Before
    public void setUp() throws Exception {
        work = WorkDirs.create(Path.of("/tmp"), "rocker-names-");
    }

    @After
    public void tearDown() throws Exception {
        WorkDirs.delete(work);
    }

    /** {@code n} files with long names (many buffers of 4 KiB), through the bindings (this JVM's locale may be ASCII). */
    private Set<String> fill(Path dir, String prefix, int n) {
        Set<String> names = new TreeSet<>();
        int d = Posix.open(dir.toString(), Posix.O_RDONLY | Fd.O_DIRECTORY, 0);
        try {
            for (int i = 0; i < n; i++) {
                String name = prefix + "-\u00e4\u6570-" + "x".repeat(80) + "-" + i;
                Posix.close(Fd.openat(d, name, Posix.O_WRONLY | Posix.O_CREAT | Posix.O_EXCL, 0600, name));
                names.add(name);
            }
        } finally {
            Posix.close(d);
        }
        return names;
    }

    @Test
    public void everyNameOnceOverManyBuffersAlsoWhenTheCallbackListsAnotherDir() throws Exception {
        Path a = Files.createDirectory(work.resolve("a"));
        Path b = Files.createDirectory(work.resolve("b"));
        Set<String> inA = fill(a, "a", 400);
        Set<String> inB = fill(b, "b", 60);
        List<String> seen = new ArrayList<>();
        int fa = Posix.open(a.toString(), Posix.O_RDONLY | Fd.O_DIRECTORY, 0);
        try {
            boolean all = Fd.forEachName(fa, "a", name -> {
                seen.add(name);
                int fb = Posix.open(b.toString(), Posix.O_RDONLY | Fd.O_DIRECTORY, 0);
                try {
                    assertEquals(inB, new TreeSet<>(Fd.names(fb, "b"))); // reuses this thread's buffer
                } finally {
                    Posix.close(fb);
                }
                return true;
            });
            assertEquals(true, all);
        } finally {
            Posix.close(fa);
        }
        assertEquals(inA.size(), seen.size());
        assertEquals(inA, new TreeSet<>(seen));
    }

    @Test
    public void itStopsWhenTheCallbackSaysSo() throws Exception {
        Path a = Files.createDirectory(work.resolve("a"));
        fill(a, "a", 300);
        int[] calls = {0};
        int fa = Posix.open(a.toString(), Posix.O_RDONLY | Fd.O_DIRECTORY, 0);
        try {
            assertFalse(Fd.forEachName(fa, "a", name -> ++calls[0] < 10));
        } finally {
            Posix.close(fa);
        }
        assertEquals(10, calls[0]);
    }
}
