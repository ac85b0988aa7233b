package rocker.impl.linux.sys;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.Test;

/** The mount id from statx (Linux 5.8+) is the one /proc/self/fdinfo names (the fallback on older kernels). */
public class MountIdTest {
    @Test
    public void statxAndFdinfoAgreeOnEveryMount() throws Exception {
        List<String> points = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .map(l -> l.split(" ")[4]).filter(p -> !p.contains("\\")).distinct().toList();
        int checked = 0;
        for (String p : points) {
            int fd;
            try {
                fd = Posix.open(p, Fd.O_PATH, 0);
            } catch (SysException e) {
                continue; // a mount point we may not reach
            }
            try {
                assertEquals(p, Fd.mountIdFromFdinfo(fd, p), Fd.mountId(fd, p));
                checked++;
            } finally {
                Posix.close(fd);
            }
        }
        assertNotEquals(0, checked);
        int root = Posix.open("/", Fd.O_PATH, 0);
        int proc = Posix.open("/proc", Fd.O_PATH, 0);
        try {
            assertNotEquals("/ and /proc are different mounts", Fd.mountId(root, "/"), Fd.mountId(proc, "/proc"));
        } finally {
            Posix.close(root);
            Posix.close(proc);
        }
    }
}
