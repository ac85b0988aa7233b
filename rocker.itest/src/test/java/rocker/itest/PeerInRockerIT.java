package rocker.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * Apps inside real rockers (as uid 0 and uid 1000, host and private network) talk to the real server
 * (the launcher jar, as users run it) through a socket they can see: a hard link of the server's socket
 * in a dir no overlay covers. Every request is refused, whatever the app's uid; the server's state dir
 * and its socket's dir show nothing inside the rocker (docs/security.md).
 */
public class PeerInRockerIT {
    private static final Path JAR = Path.of("..", "cnf", "target", "rocker.jar").toAbsolutePath().normalize();
    private static final Pattern NAME = Pattern.compile("\"guard_name\":\"(rk[a-z2-7]{13})\"");
    /** The app: a v1 LIST frame over the socket in $1, the reply's bytes to stdout (perl-base is everywhere). */
    private static final String CLIENT = "use IO::Socket::UNIX; my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $ARGV[0])"
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
        work = Files.createTempDirectory(Path.of("/var/tmp"), "rocker-itest-peer-");
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
        socket = Files.createDirectory(work.resolve("sock")).resolve("rocker.sock");
        state = work.resolve("state");
        visible = Files.createDirectory(work.resolve("visible"));
        Files.setPosixFilePermissions(visible, PosixFilePermissions.fromString("rwxr-xr-x"));
        server = new ProcessBuilder(java("serve", "--socket", socket.toString(), "--state-dir", state.toString()))
                .redirectErrorStream(true).redirectOutput(work.resolve("server.log").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < end && !Files.exists(socket)) {
            Thread.sleep(50);
        }
        assertTrue("the server listens on " + socket, Files.exists(socket));
        // the same socket, at a path the rocker can see (a socket's dir of its own is hidden in rockers)
        Files.createLink(visible.resolve("rocker.sock"), socket);
    }

    @After
    public void tearDown() throws Exception {
        try {
            Run left = rocker("ls", "--socket", socket.toString(), "--json");
            for (Matcher m = NAME.matcher(left.out); m.find();) {
                rocker("kill", "--socket", socket.toString(), m.group(1));
            }
        } finally {
            server.destroy();
            server.waitFor(20, TimeUnit.SECONDS);
            try (Stream<Path> s = Files.walk(work)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static List<String> java(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-jar", JAR.toString()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static final class Run {
        final int code;
        final String out;
        final String err;

        Run(int code, String out, String err) {
            this.code = code;
            this.out = out;
            this.err = err;
        }

        @Override
        public String toString() {
            return "exit " + code + ", stdout: " + out + ", stderr: " + err;
        }
    }

    private Run rocker(String... args) throws Exception {
        Path out = Files.createTempFile(work, "out", ".txt");
        Path err = Files.createTempFile(work, "err", ".txt");
        Process p = new ProcessBuilder(java(args)).redirectOutput(out.toFile()).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        assertTrue("rocker " + String.join(" ", args) + " ended", p.waitFor(60, TimeUnit.SECONDS));
        // the app prints the server's binary reply: bytes as they are
        return new Run(p.exitValue(), Files.readString(out, java.nio.charset.StandardCharsets.ISO_8859_1),
                Files.readString(err, java.nio.charset.StandardCharsets.ISO_8859_1));
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
                Run r = rocker("run", "--socket", socket.toString(), "--pkg", image.toString(), "--exec-dir", "/opt/rocker-peer",
                        "--data-dir", data.toString(), "--overlay", "/opt", "--uid", uid, "--gid", uid, "--net", net, "--rm", "--wait",
                        "--", "/bin/sh", "-c", check);
                String what = "uid " + uid + ", network " + net + ": " + r;
                assertEquals(what, 0, r.code);
                assertTrue(what, r.out.contains("HIDDEN /run/rocker/rocker.sock\n"));
                assertTrue(what, r.out.contains("HIDDEN " + socket + "\n"));
                assertTrue(what, r.out.contains("HIDDEN " + state + "/rockers\n"));
                assertTrue("the state dir shows nothing inside: " + what, r.out.contains("STATE 0\n"));
                assertTrue(what, r.out.contains("REPLY:"));
                assertTrue(what, r.out.contains("permission denied: requests from inside a rocker are refused"));
            }
        }
        String log = Files.readString(work.resolve("server.log"));
        assertTrue(log, log.contains("requests from inside a rocker are refused"));
        Run ls = rocker("ls", "--socket", socket.toString(), "--json");
        assertFalse("the --rm rockers are gone: " + ls, NAME.matcher(ls.out).find());
    }
}
