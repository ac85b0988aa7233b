package rocker.server.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import rocker.api.RockerInfo;
import rocker.api.RockerRequest;
import rocker.server.protocol.AppSpec;
import rocker.server.protocol.StdioSpec;
import rocker.server.testing.Requests;

public class AuthorizerTest {
    private static final AppSpec APP = new AppSpec(List.of("/bin/true"), Map.of(), null, StdioSpec.DISCARD, StdioSpec.LOG, StdioSpec.LOG);
    private static final Peer ROOT = new Peer(1, 0, 0);
    private static final Peer USER = new Peer(2, 1000, 1000);

    @Rule
    public final TemporaryFolder tmp = new TemporaryFolder();

    private final Authorizer auth = new Authorizer(Set.of(500), null);

    @Test
    public void rootAndTrustedUidsMayAskForAnyone() {
        RockerRequest other = Requests.valid(1234, 99).groups(List.of(4)).build();
        assertEquals(Optional.empty(), auth.enterRefusal(ROOT, other, APP));
        assertEquals(Optional.empty(), auth.enterRefusal(new Peer(3, 500, 500), other, APP));
    }

    @Test
    public void othersOnlyForTheirOwnUidAndGid() {
        assertEquals(Optional.empty(), auth.enterRefusal(USER, Requests.valid(1000, 1000).build(), APP));
        assertTrue(auth.enterRefusal(USER, Requests.valid(0, 1000).build(), APP).get().startsWith("uid 0: a client of uid 1000"));
        assertTrue(auth.enterRefusal(USER, Requests.valid(1000, 0).build(), APP).get().startsWith("gid 0"));
        assertTrue(auth.enterRefusal(USER, Requests.valid(1000, 1000).groups(List.of(27)).build(), APP).get().startsWith("groups"));
        AppSpec toFile = new AppSpec(List.of("/bin/true"), Map.of(), null, StdioSpec.DISCARD, StdioSpec.file("/etc/passwd"), StdioSpec.LOG);
        assertTrue(auth.enterRefusal(USER, Requests.valid(1000, 1000).build(), toFile).get().startsWith("stdio file '/etc/passwd'"));
    }

    @Test
    public void othersOnlyOwnTheirRockers() {
        RockerInfo mine = new RockerInfo("a", 1, 2, Instant.now(), Requests.valid(1000, 1000).build());
        RockerInfo roots = new RockerInfo("b", 3, 4, Instant.now(), Requests.valid(0, 0).build());
        assertTrue(auth.owns(USER, mine));
        assertFalse(auth.owns(USER, roots));
        assertTrue(auth.owns(ROOT, mine));
    }

    @Test
    public void thePackageMustBeReadableAndTheDataDirOwnedByTheClient() throws IOException {
        Authorizer checking = new Authorizer(Set.of(), new PeerPathCheck());
        Path dir = tmp.newFolder("d").toPath();
        Files.setPosixFilePermissions(tmp.getRoot().toPath(), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path pkg = Files.writeString(dir.resolve("app.squashfs"), "x");
        Files.setPosixFilePermissions(pkg, PosixFilePermissions.fromString("rw-------"));
        // tests run as root: root owns these files, so "uid 1000" is someone else
        RockerRequest req = Requests.valid(1000, 1000).pkgPath(pkg.toString()).dataDir(dir.resolve("data").toString()).build();
        assertTrue(checking.enterRefusal(USER, req, APP).get().contains("not readable by uid 1000"));
        Files.setPosixFilePermissions(pkg, PosixFilePermissions.fromString("rw-r--r--"));
        assertTrue(checking.enterRefusal(USER, req, APP).get().startsWith("app_data_dir"));
        Peer owner = new Peer(5, (Integer) Files.getAttribute(dir, "unix:uid"), (Integer) Files.getAttribute(dir, "unix:gid"));
        RockerRequest own = Requests.valid(owner.uid(), owner.gid()).pkgPath(pkg.toString()).dataDir(dir.resolve("data").toString()).build();
        assertEquals(Optional.empty(), new PeerPathCheck().dataDirRefusal(owner, own.dataDir()));
        assertEquals(Optional.empty(), new PeerPathCheck().packageRefusal(owner, own.pkgPath()));
        assertTrue(new PeerPathCheck().packageRefusal(USER, dir.toString()).get().contains("not a regular file"));
    }
}
