package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.Rule;
import org.junit.Test;

import rocker.api.RockerApp;
import rocker.api.RockerError;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.testsupport.Images;
import rocker.testsupport.WorkDirs;

/**
 * The seed's own example request, exactly as written in shared/seed: its data dir lies under the
 * overlaid /var, so inside the rocker looking the data dir up gives ELOOP (overlapping layers).
 */
public class SeedExampleTest {
    @Rule
    public final EngineFixture fx = new EngineFixture();

    @Test
    public void theSeedsExampleWorksAsWritten() throws Exception {
        Path pkg = Path.of("/tmp/your_APP.squashfs");
        Path appDir = Path.of("/var/your_APP");
        assertFalse("the host must not have " + appDir + " yet", Files.exists(appDir));
        assertFalse("the host must not have " + pkg + " yet", Files.exists(pkg));
        try {
            Path built = Images.build(fx.work, "your_APP", Map.of("start.sh",
                    "#!/bin/sh\necho uid=$(id -u) gid=$(id -g)\nls /var/your_APP/execdir\n"
                            + "ls /var/your_APP/datadir/upper/var 2>&1 || true\n"
                            + "echo > /var/tmp/seed-write && echo wrote\n"));
            Files.copy(built, pkg);
            RockerRequest req = RockerRequest.builder().appId(1000).uid(1000).gid(1000)
                    .pkgPath("/tmp/your_APP.squashfs")
                    .execDir("/var/your_APP/execdir")
                    .dataDir("/var/your_APP/datadir")
                    .overlayDirs("/usr", "/var", "/etc", "/home", "/root")
                    .build();
            RockerResult res = fx.engine.enterRocker(req, RockerApp.of("/bin/sh", "/var/your_APP/execdir/start.sh"));
            assertEquals(res.toString(), RockerError.SUCCESS, res.error());
            assertEquals(0, fx.engine.waitForApp(res.guardName(), Duration.ofSeconds(10)).getAsInt());
            String out = Files.readString(appDir.resolve("datadir/log/stdout.log"));
            assertTrue(out, out.startsWith("uid=1000 gid=1000\nstart.sh\n"));
            // its upper dirs are root's, mode 0700 (root client), and behind the overlay (ELOOP for a uid-0 app)
            assertTrue(out, out.contains("/var/your_APP/datadir/upper/var': Permission denied"));
            assertTrue(out, out.contains("wrote"));
            assertTrue(Files.exists(appDir.resolve("datadir/upper/var/tmp/seed-write")));
            assertFalse(Files.exists(Path.of("/var/tmp/seed-write")));
            // the seed's clean-up: check the name, then kill
            RockerResult name = fx.engine.getGuardName(res.guardPid());
            assertEquals(res.guardName(), name.guardName());
            assertEquals(RockerError.SUCCESS, fx.engine.destroy(res.guardPid(), name.guardName()).error());
            assertFalse("the exec dir was made inside the rocker, in the data dir", Files.exists(appDir.resolve("execdir")));
        } finally {
            Files.deleteIfExists(pkg);
            WorkDirs.delete(appDir);
        }
    }
}
