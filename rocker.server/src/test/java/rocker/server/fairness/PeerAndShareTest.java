package rocker.server.fairness;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;

import rocker.client.RemoteRockerClient;
import rocker.client.testing.Requests;
import rocker.server.testing.ChildJvm;
import rocker.server.testing.ServerFixture;
import rocker.server.testing.TestUser;

/**
 * Real processes of real users (made for the test), some in pid namespaces of their own like an app in
 * a rocker, against a real server (fake engine): peers inside a rocker are refused whatever their uid
 * (docs/security.md), one user cannot take every connection or stream, and a user's live rockers are
 * capped.
 */
public class PeerAndShareTest {
    private static final String FROM_A_ROCKER = "permission denied: requests from inside a rocker are refused";

    @Rule
    public final ServerFixture fixture = new ServerFixture(b -> b.maxConcurrentRequests(8).maxStreams(4).maxRockersPerUid(3)
            .requestTimeout(Duration.ofSeconds(30)).trustedRockers(Set.of("rk-trusted-app")));

    private ChildJvm jvm;
    private TestUser alice;
    private TestUser bob;
    private final List<Process> started = new ArrayList<>();

    @Before
    public void setUp() throws Exception {
        assumeTrue("needs root, setpriv and unshare", ChildJvm.available());
        jvm = new ChildJvm();
        alice = TestUser.create();
        bob = TestUser.create();
    }

    @After
    public void tearDown() throws Exception {
        for (Process p : started) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        jvm.close();
        alice.close();
        bob.close();
    }

    private String run(List<String> prefix, TestUser user, String... args) throws Exception {
        int uid = user == null ? 0 : user.uid;
        int gid = user == null ? 0 : user.gid;
        List<String> all = new ArrayList<>(List.of(fixture.socket().toString(), Integer.toString(uid), Integer.toString(gid)));
        all.addAll(List.of(args));
        ChildJvm.Result r = jvm.run(prefix, uid, gid, PeerClientMain.class, all.toArray(new String[0]));
        return r.output();
    }

    /** Starts a client that keeps running; returns once it printed its first line, which is returned. */
    private String startAndRead(TestUser user, String... args) throws Exception {
        return startAndRead(List.of(), user, args);
    }

    private String startAndRead(List<String> prefix, TestUser user, String... args) throws Exception {
        int uid = user == null ? 0 : user.uid;
        int gid = user == null ? 0 : user.gid;
        List<String> all = new ArrayList<>(List.of(fixture.socket().toString(), Integer.toString(uid), Integer.toString(gid)));
        all.addAll(List.of(args));
        Process p = jvm.start(prefix, uid, gid, PeerClientMain.class, all.toArray(new String[0]));
        started.add(p);
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null) {
            if (line.startsWith("HOLD") || line.startsWith("STREAM")) return line;
        }
        throw new AssertionError("the client ended without saying what it holds");
    }

    @Test
    public void peersInAnotherPidNamespaceAreRefusedWhateverTheirUidAndNetwork() throws Exception {
        for (TestUser user : new TestUser[] {null, alice}) {
            for (List<String> ns : List.of(List.of("unshare", "--pid", "--fork", "--mount-proc"),
                    List.of("unshare", "--pid", "--fork", "--mount-proc", "--net"))) {
                String out = run(ns, user, "list");
                assertTrue((user == null ? "root" : "a user") + " in " + ns + ": " + out, out.contains("ERROR sys " + FROM_A_ROCKER));
            }
        }
        assertTrue("the same user outside is served", run(List.of(), alice, "list").startsWith("LIST 0"));
        assertEquals("nothing was built", 0, fixture.engine.requests.size());
    }

    @Test
    public void appsOfATrustedRockerMayUseTheServer() throws Exception {
        Process holder = new ProcessBuilder("unshare", "--pid", "--fork", "--mount-proc", "sleep", "60").start();
        started.add(holder);
        ProcessHandle first = null;
        for (int i = 0; i < 100 && first == null; i++) {
            first = holder.toHandle().children().findFirst().orElse(null);
            if (first == null) Thread.sleep(20);
        }
        assertTrue("the namespace's first process started", first != null);
        List<String> enter = List.of("nsenter", "--target", Long.toString(first.pid()), "--pid", "--");
        String before = run(enter, alice, "list");
        assertTrue(before, before.contains("ERROR sys " + FROM_A_ROCKER));
        fixture.engine.adopt("rk-trusted-app", (int) first.pid(), Requests.valid(0, 0).build(), Instant.now());
        String out = run(enter, alice, "list");
        assertTrue("an app of the trusted rocker is served like any client of its uid: " + out, out.startsWith("LIST 0"));
    }

    /** Whether a peer is in a trusted rocker cannot be told (no engine in the moment): refused, and the server accepts on. */
    @Test
    public void aTrustedRockerLookupThatFailsRefusesThePeerAndTheServerAcceptsOn() throws Exception {
        fixture.engine.failLookups = true;
        for (int i = 0; i < 2; i++) {
            String out = run(List.of("unshare", "--pid", "--fork", "--mount-proc"), alice, "list");
            assertTrue("refused, not dropped: " + out, out.contains("ERROR sys " + FROM_A_ROCKER));
        }
        fixture.engine.failLookups = false;
        assertTrue("the server still accepts", run(List.of(), alice, "list").startsWith("LIST 0"));
    }

    @Test
    public void oneUserHoldingAllItCanLeavesRoomForRootAndOthers() throws Exception {
        String hog = startAndRead(alice, "hold", "12", "20");
        assertEquals("a user holds a quarter of the 8 connections; the rest are answered busy at once",
                "HOLD held=2 busy=10", hog);
        long start = System.nanoTime();
        try (RemoteRockerClient root = new RemoteRockerClient(fixture.socket().toString())) {
            assertEquals(0, root.list().size());
        }
        long rootMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue("root was served within a second: " + rootMillis + " ms", rootMillis < 1000);
        assertTrue("another user is served", run(List.of(), bob, "list").startsWith("LIST 0"));
    }

    @Test
    public void anAppInARockerTakesNoSlotEvenAsUidZero() throws Exception {
        String hog = startAndRead(List.of("unshare", "--pid", "--fork", "--mount-proc"), null, "hold", "12", "20");
        assertEquals("every connection from another pid namespace is answered (refused) at once", "HOLD held=0 busy=12", hog);
        long start = System.nanoTime();
        try (RemoteRockerClient root = new RemoteRockerClient(fixture.socket().toString())) {
            assertEquals(0, root.list().size());
        }
        assertTrue("root is served", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 1000);
        assertTrue("a user is served", run(List.of(), alice, "list").startsWith("LIST 0"));
    }

    @Test
    public void aUserAtItsQuotaIsRefusedUntilItDestroysOne() throws Exception {
        String out = run(List.of(), alice, "enter", "4");
        String[] lines = out.split("\n");
        for (int i = 0; i < 3; i++) {
            assertTrue(out, lines[i].startsWith("RESULT success"));
        }
        assertEquals(out, "RESULT sys quota: uid " + alice.uid + " has 3 live rockers, at most 3 (max.rockers.per.uid): destroy one first",
                lines[3]);
        assertEquals(out, "DESTROY success", lines[4]);
        assertTrue(out, lines[5].startsWith("AGAIN success"));
        assertTrue("root has no quota", run(List.of(), null, "enter", "4").split("\n")[3].startsWith("RESULT success"));
    }

    @Test
    public void oneUsersStreamsLeaveStreamsForOthers() throws Exception {
        fixture.engine.holdApps = true;
        String first = startAndRead(alice, "stream", "3");
        assertTrue(first, first.startsWith("STREAM served=1 refused=2"));
        assertTrue(first, first.contains("server busy: uid " + alice.uid + " holds its share of streams (1 of 4)"));
        String other = run(List.of(), bob, "stream", "1");
        assertTrue("another user still gets a stream: " + other, other.startsWith("STREAM served=1 refused=0"));
    }
}
