package rocker.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import rocker.testsupport.Images;
import rocker.testsupport.KernelView;
import rocker.testsupport.WorkDirs;

/**
 * Client commands with {@code --local} in the launcher ({@code java -jar rocker.jar}): the in-process engine
 * is stopped as a server's is before the JVM ends, so that killing the last rocker of an image releases the
 * image's shared mount (its holder and loop device) at once, as a server's stop does, instead of leaving it
 * until some server stops. Real processes, a real image, the engine's default state dir ({@code --local}
 * has no other); a failed test kills its own rocker and has a server on that dir, started and stopped, release
 * its image's mount.
 */
public class LauncherLocalIT {
    private static final Pattern NAME = Pattern.compile("\"guard_name\":\"(rk[a-z0-9]+)\"");
    private static final Path DEFAULT_STATE = Path.of("/run/rocker");

    private Path work;
    private Path image;
    /** The rocker this test made, until it was killed. */
    private String name;

    @Before
    public void setUp() throws Exception {
        assertTrue("the launcher jar is built before the integration tests: " + Launcher.JAR, Files.isRegularFile(Launcher.JAR));
        work = WorkDirs.create(Path.of("/tmp"), "rocker-itest-local-");
        image = Images.build(work, "local", Map.of("hello.sh", "#!/bin/sh\necho hello\n"));
    }

    @After
    public void tearDown() throws Exception {
        try {
            // only what this test made: its rocker, then (a server on the default state dir started and stopped
            // releases the shared mounts nobody uses) its image's mount
            if (name != null) Launcher.run(work, Launcher.command("kill", "--local", name));
            if (!KernelView.loopsOn(image.toString()).isEmpty()) {
                Path socket = Files.createDirectories(work.resolve("sock")).resolve("rocker.sock");
                Launcher.Server server = new Launcher.Server(socket, DEFAULT_STATE, work.resolve("server.log"));
                server.start();
                server.stop();
            }
        } finally {
            WorkDirs.deleteQuietly(work);
        }
    }

    @Test
    public void killingTheLastRockerOfAnImageReleasesItsSharedMount() throws Exception {
        Launcher.Run run = Launcher.run(work, Launcher.command("run", "--local", "--pkg", image.toString(),
                "--exec-dir", work.resolve("exec").toString(), "--data-dir", work.resolve("data").toString(),
                "--overlay", "/etc", "--uid", "1000", "--gid", "1000", "--json", "--", "/bin/sleep", "1000"));
        assertEquals(run.toString(), 0, run.code());
        Matcher m = NAME.matcher(run.out());
        assertTrue(run.toString(), m.find());
        name = m.group(1);
        assertFalse("the image is mounted while its rocker lives", KernelView.loopsOn(image.toString()).isEmpty());

        Launcher.Run kill = Launcher.run(work, Launcher.command("kill", "--local", name));
        assertEquals(kill.toString(), 0, kill.code());
        assertEquals(kill.toString(), name + "\n", kill.out());
        String killed = name;
        name = null;
        assertTrue("no loop device of the image is left once its last rocker was killed: " + KernelView.loopsOn(image.toString()),
                KernelView.eventually(() -> KernelView.loopsOn(image.toString()).isEmpty()));
        Launcher.Run ls = Launcher.run(work, Launcher.command("ls", "--local", "--json"));
        assertEquals(ls.toString(), 0, ls.code());
        assertFalse(ls.out(), ls.out().contains(killed));
    }
}
