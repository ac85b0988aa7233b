package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** Which of the server's paths the mount plan hides or makes read-only (no kernel needed). */
public class ServerFilesTest {
    @Rule
    public final TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void slashTopLevelAndRelativePathsAreRefused() {
        assertEquals("it is /", ServerFiles.refusal("/"));
        assertEquals("it is /", ServerFiles.refusal("/run/.."));
        assertEquals("it is a top-level dir, which stays visible (a socket should live in a dir of its own, e.g. /tmp/rocker/)",
                ServerFiles.refusal("/tmp"));
        assertEquals("it is a top-level dir, which stays visible (a socket should live in a dir of its own, e.g. /run/rocker/)",
                ServerFiles.refusal("/run/"));
        assertEquals("it is not an absolute path", ServerFiles.refusal("run/rocker"));
        assertEquals("it is empty", ServerFiles.refusal(""));
        assertNull(ServerFiles.refusal("/run/rocker"));
        assertNull(ServerFiles.refusal("/srv/rocker/sock/"));
    }

    @Test
    public void theStateDirIsAlwaysHiddenAndPathsAreNormalizedOnce() {
        ServerFiles f = new ServerFiles(Path.of("/var/lib/rocker"), List.of("/", "/tmp", "/run/rocker", "/srv/a/../b/", "/run/rocker",
                "/var/lib/rocker"));
        assertEquals(List.of(Path.of("/var/lib/rocker"), Path.of("/run/rocker"), Path.of("/srv/b")), f.hidden());
        assertEquals(List.of(Path.of("/tmp/state")), new ServerFiles(Path.of("/tmp/state"), List.of()).hidden());
        assertEquals("a top-level state dir is refused too", List.of(Path.of("/run/rocker")),
                new ServerFiles(Path.of("/run"), List.of("/run/rocker")).hidden());
    }

    @Test
    public void theGuardIsMadeReadOnlyUnlessItLiesInAHiddenDirAndPathsAreTheHostsRealOnes() throws Exception {
        Path root = tmp.getRoot().toPath().toRealPath();
        Path state = Files.createDirectories(root.resolve("state/bin"));
        Path real = Files.createDirectory(root.resolve("real-sock"));
        Path link = Files.createSymbolicLink(root.resolve("sock"), real);
        Path guard = Files.createFile(root.resolve("rocker-guard"));
        Path guardLink = Files.createSymbolicLink(root.resolve("guard-link"), guard);
        ServerFiles f = new ServerFiles(root.resolve("state"), List.of(link.toString(), root.resolve("missing/dir").toString()));
        assertEquals(List.of("hide " + root.resolve("state") + " (an empty read-only tmpfs on it)",
                "hide " + real + " (an empty read-only tmpfs on it)",
                "hide " + root.resolve("missing/dir") + " (an empty read-only tmpfs on it)",
                "make the guard executable " + guard + " read-only (a read-only bind mount on it)"), describe(f.ops(guardLink.toString())));
        assertEquals("a guard in the state dir is hidden with it", 3, f.ops(state.resolve("rocker-guard-x").toString()).size());
        Path top = Files.createSymbolicLink(root.resolve("to-top"), Path.of("/tmp"));
        assertEquals("a hidden path that is a top-level dir on the host is refused", List.of(),
                describe(new ServerFiles(Path.of("/"), List.of(top.toString())).ops(null)));
    }

    private static List<String> describe(List<MountOp> ops) {
        List<String> out = new ArrayList<>();
        ops.forEach(o -> out.add(o.describe()));
        return out;
    }
}
