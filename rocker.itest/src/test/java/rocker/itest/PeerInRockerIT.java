package rocker.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import rocker.testsupport.Images;
import rocker.testsupport.WorkDirs;

/**
 * Apps inside real rockers (as uid 0 and uid 1000, host and private network) talk to the real server
 * (the launcher jar, as users run it) through a socket they can see: a hard link of the server's socket
 * in a dir no overlay covers. Every request is refused, whatever the app's uid; the server's state dir
 * and its socket's dir show nothing inside the rocker (docs/security.md).
 */
public class PeerInRockerIT {
    private static final Path JAR = Launcher.JAR;
    /**
     * The app: a v1 LIST frame over the socket in $1, the reply's bytes to stdout (perl-base is everywhere).
     * The server may answer and close before it reads the request: a failed write is not the end.
     */
    private static final String CLIENT = "use IO::Socket::UNIX; $SIG{PIPE} = 'IGNORE'; my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $ARGV[0])"
            + " or die \"connect: $!\\n\"; print $s pack('NCn', 3, 5, 1); local $/; my $r = <$s>; print \"REPLY:$r\\n\";";

    private Path work;
    private Path socket;
    private Path state;
    private Path visible;
    private Process server;

    @Before
    public void setUp() throws Exception {
        assertTrue("the launcher jar is built before the integration tests: " + JAR, Files.isRegularFile(JAR));
        // not under /tmp: inside a rocker /tmp is the rocker's own, and the app must see the socket's link
        work = WorkDirs.create(Path.of("/var/tmp"), "rocker-itest-peer-");
        socket = Files.createDirectory(work.resolve("sock")).resolve("rocker.sock");
        state = work.resolve("state");
        visible = Files.createDirectory(work.resolve("visible"));
        Files.setPosixFilePermissions(visible, PosixFilePermissions.fromString("rwxr-xr-x"));
        server = Launcher.serve(socket, state, work.resolve("server.log"));
        // the same socket, at a path the rocker can see (a socket's dir of its own is hidden in rockers)
        Files.createLink(visible.resolve("rocker.sock"), socket);
    }

    @After
    public void tearDown() throws Exception {
        try {
            Launcher.destroyAll(socket, this::rocker);
        } finally {
            Launcher.stop(server);
            WorkDirs.deleteQuietly(work);
        }
    }

    private Launcher.Run rocker(String... args) throws Exception {
        return Launcher.run(work, Launcher.command(args));
    }

    @Test
    public void appsInARockerAreRefusedWhateverTheirUidAndNetwork() throws Exception {
        Path image = Images.build(work, "peer", Map.of("client.pl", CLIENT));
        int n = 0;
        for (String uid : new String[] {"0", "1000"}) {
            for (String net : new String[] {"host", "none"}) {
                Path data = work.resolve("data-" + n++);
                String check = "for p in /run/rocker/rocker.sock " + socket + " " + state + "/rockers; do"
                        + " if [ -e $p ]; then echo SEEN $p; else echo HIDDEN $p; fi; done;"
                        + " echo STATE $(ls -A " + state + " 2>&1 | wc -l);"
                        + " /usr/bin/perl /opt/rocker-peer/client.pl " + visible.resolve("rocker.sock");
                Launcher.Run r = rocker("run", "--socket", socket.toString(), "--pkg", image.toString(), "--exec-dir", "/opt/rocker-peer",
                        "--data-dir", data.toString(), "--overlay", "/opt", "--uid", uid, "--gid", uid, "--net", net, "--rm", "--wait",
                        "--", "/bin/sh", "-c", check);
                String what = "uid " + uid + ", network " + net + ": " + r;
                assertEquals(what, 0, r.code());
                assertTrue(what, r.out().contains("HIDDEN /run/rocker/rocker.sock\n"));
                assertTrue(what, r.out().contains("HIDDEN " + socket + "\n"));
                assertTrue(what, r.out().contains("HIDDEN " + state + "/rockers\n"));
                assertTrue("the state dir shows nothing inside: " + what, r.out().contains("STATE 0\n"));
                assertTrue(what, r.out().contains("REPLY:"));
                assertTrue(what, r.out().contains("permission denied: requests from inside a rocker are refused"));
            }
        }
        String log = Files.readString(work.resolve("server.log"));
        assertTrue(log, log.contains("requests from inside a rocker are refused"));
        Launcher.Run ls = rocker("ls", "--socket", socket.toString(), "--json");
        assertFalse("the --rm rockers are gone: " + ls, Launcher.NAME.matcher(ls.out()).find());
    }
}
