package rocker.cli.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The ready-made systemd unit (dist/rocker.service) is valid for systemd ({@code systemd-analyze verify},
 * with ExecStart pointed at this checkout's ./rocker, since verify checks that it is executable) and
 * keeps rockers alive across stops and restarts (KillMode=process, the registry's /run/rocker kept).
 */
public class ServiceUnitTest {
    private static final Path UNIT = Path.of("..", "dist", "rocker.service").toAbsolutePath().normalize();

    @Rule
    public final TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void theUnitVerifiesAndLeavesRockersAlive() throws Exception {
        String unit = Files.readString(UNIT);
        assertTrue(unit, unit.contains("\nKillMode=process\n"));
        assertTrue(unit, unit.contains("\nRuntimeDirectory=rocker\n"));
        assertTrue(unit, unit.contains("\nRuntimeDirectoryPreserve=yes\n"));
        assertTrue(unit, unit.contains("\nRestart=on-failure\n"));
        Path rocker = UNIT.getParent().getParent().resolve("rocker");
        Path copy = tmp.getRoot().toPath().resolve("rocker.service");
        Files.writeString(copy, unit.replace("ExecStart=/usr/bin/rocker serve", "ExecStart=" + rocker + " serve"));
        Process p = new ProcessBuilder("systemd-analyze", "verify", copy.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals("systemd-analyze verify: " + out, 0, p.waitFor());
        assertEquals("no warnings", "", out.trim());
    }
}
