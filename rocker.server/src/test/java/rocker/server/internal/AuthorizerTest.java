package rocker.server.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.junit.Test;

import rocker.api.RockerCaller;
import rocker.api.RockerInfo;
import rocker.api.RockerRequest;
import rocker.client.testing.Requests;

public class AuthorizerTest {
    private static final Peer ROOT = new Peer(1, 0, 0);
    private static final Peer USER = new Peer(2, 1000, 1000);

    private final Authorizer auth = new Authorizer(Set.of(500));

    @Test
    public void rootAndTrustedUidsMayAskForAnyone() {
        RockerRequest other = Requests.valid(1234, 99).groups(List.of(4)).build();
        assertEquals(Optional.empty(), auth.enterRefusal(ROOT, other));
        assertEquals(Optional.empty(), auth.enterRefusal(new Peer(3, 500, 500), other));
    }

    @Test
    public void othersOnlyForTheirOwnUidAndGid() {
        assertEquals(Optional.empty(), auth.enterRefusal(USER, Requests.valid(1000, 1000).build()));
        assertTrue(auth.enterRefusal(USER, Requests.valid(0, 1000).build()).get().startsWith("uid 0: a client of uid 1000"));
        assertTrue(auth.enterRefusal(USER, Requests.valid(1000, 0).build()).get().startsWith("gid 0"));
        assertTrue(auth.enterRefusal(USER, Requests.valid(1000, 1000).groups(List.of(27)).build()).get().startsWith("groups"));
        // a FILE stdio is the engine's business (it opens it with the client's credentials): the app is not asked
    }

    @Test
    public void onlyRootAndTrustedUidsMayChangeTheSystemCallFilter() {
        for (String seccomp : new String[] {RockerRequest.SECCOMP_UNCONFINED, "/etc/rocker/seccomp/app.json", "", "relative.json"}) {
            RockerRequest own = Requests.valid(1000, 1000).seccomp(seccomp).build();
            assertEquals(Optional.of("seccomp '" + seccomp + "': only root clients may change the system call filter"),
                    auth.enterRefusal(USER, own));
            assertEquals(Optional.empty(), auth.enterRefusal(ROOT, own));
            assertEquals(Optional.empty(), auth.enterRefusal(new Peer(3, 500, 500), own));
        }
        // Rocker's default filter is everybody's
        assertEquals(Optional.empty(), auth.enterRefusal(USER, Requests.valid(1000, 1000).seccomp(null).build()));
        // the uid is still named first
        assertTrue(auth.enterRefusal(USER, Requests.valid(0, 0).seccomp("unconfined").build()).get().startsWith("uid 0"));
    }

    @Test
    public void onlyRootAndTrustedUidsMayLiftTheProcessLimitOrKeepUnboundedLogs() {
        Peer trusted = new Peer(3, 500, 500);
        for (int pids : new int[] {0, 1025, Integer.MAX_VALUE}) {
            RockerRequest own = Requests.valid(1000, 1000).pidsLimit(pids).build();
            assertEquals(Optional.of("pids '" + pids + "': only root clients may lift the process limit"), auth.enterRefusal(USER, own));
            assertEquals(Optional.empty(), auth.enterRefusal(ROOT, own));
            assertEquals(Optional.empty(), auth.enterRefusal(trusted, own));
        }
        // lowering it is everybody's
        for (int pids : new int[] {3, 100, 1024}) {
            assertEquals(Optional.empty(), auth.enterRefusal(USER, Requests.valid(1000, 1000).pidsLimit(pids).build()));
        }
        RockerRequest unbounded = Requests.valid(1000, 1000).logLimit(0).build();
        assertEquals(Optional.of("log_limit '0': only root clients may keep logs unbounded or above 104857600 bytes"), auth.enterRefusal(USER, unbounded));
        assertEquals(Optional.empty(), auth.enterRefusal(ROOT, unbounded));
        assertEquals(Optional.empty(), auth.enterRefusal(trusted, unbounded));
        // a bound up to 100 MiB, memory and cpus are the client's choice (weights: aUserMayNotOutweighOthers...)
        RockerRequest bounded = Requests.valid(1000, 1000).logLimit(100L << 20).memoryLimit(0).cpus(4096).cpuWeight(100).build();
        assertEquals(Optional.empty(), auth.enterRefusal(USER, bounded));
        assertEquals(Optional.empty(), auth.enterRefusal(USER, Requests.valid(1000, 1000).logLimit(4096).memoryLimit(4L << 20).build()));
        // pids is named before log_limit, the uid before both
        assertEquals(Optional.of("pids '0': only root clients may lift the process limit"),
                auth.enterRefusal(USER, Requests.valid(1000, 1000).pidsLimit(0).logLimit(0).build()));
        assertTrue(auth.enterRefusal(USER, Requests.valid(0, 0).pidsLimit(0).build()).get().startsWith("uid 0"));
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
    public void theEngineActsAsTheClientUnlessItIsPrivileged() {
        assertEquals(RockerCaller.engine(), auth.caller(ROOT));
        assertEquals(RockerCaller.engine(), auth.caller(new Peer(3, 500, 500)));
        RockerCaller user = auth.caller(USER);
        assertFalse(user.isEngine());
        assertEquals(1000, user.uid());
        assertEquals(1000, user.gid());
        assertEquals(2, user.pid());
    }

    @Test
    public void aUserMayNotOutweighOthersNorKeepHugeLogs() {
        RockerRequest heavy = Requests.valid(1000, 1000).cpuWeight(200).build();
        assertEquals(Optional.of("cpu_weight '200': only root clients may weigh above 100"), auth.enterRefusal(USER, heavy));
        assertEquals(Optional.empty(), auth.enterRefusal(USER, Requests.valid(1000, 1000).cpuWeight(100).build()));
        RockerRequest huge = Requests.valid(1000, 1000).logLimit(rocker.api.UserLimits.MAX_LOG_LIMIT + 1).build();
        assertEquals(Optional.of("log_limit '" + (rocker.api.UserLimits.MAX_LOG_LIMIT + 1)
                + "': only root clients may keep logs unbounded or above 104857600 bytes"), auth.enterRefusal(USER, huge));
        assertEquals(Optional.empty(), auth.enterRefusal(ROOT, Requests.valid(0, 0).logLimit(0).cpuWeight(10000).build()));
    }

    @Test
    public void aUsersRockersShareOneProcessBudget() {
        RockerQuota quota = new RockerQuota(32, 4096);
        assertEquals(null, quota.tryReserve(1000, 1024, () -> new RockerQuota.Held(2, 2048)));
        // 2048 live + 1024 being built + 1024 more = 4096: still within
        assertEquals(null, quota.tryReserve(1000, 1024, () -> new RockerQuota.Held(2, 2048)));
        assertEquals("quota: uid 1000's rockers may hold 4096 processes, 1 more would pass 4096 (max.pids.per.uid):"
                + " ask for fewer (--pids) or destroy one", quota.tryReserve(1000, 1, () -> new RockerQuota.Held(2, 2048)));
        quota.release(1000, 1024);
        assertEquals(null, quota.tryReserve(1000, 512, () -> new RockerQuota.Held(2, 2048)));
        assertEquals("another uid has its own budget", null, quota.tryReserve(1001, 1024, () -> new RockerQuota.Held(0, 0)));
    }

    /**
     * A uid's count (a read of the registry: slow with many live rockers) holds the requests of that uid,
     * which must not pass the quota together, and no other uid's.
     */
    @Test
    public void aUidsCountHoldsThatUidOnly() throws Exception {
        RockerQuota quota = new RockerQuota(2, 4096);
        java.util.concurrent.CountDownLatch counting = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch counted = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            java.util.concurrent.Future<String> slow = pool.submit(() -> quota.tryReserve(1000, 1, () -> {
                counting.countDown();
                try {
                    assertTrue(counted.await(30, java.util.concurrent.TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                return new RockerQuota.Held(1, 1);
            }));
            assertTrue(counting.await(10, java.util.concurrent.TimeUnit.SECONDS));
            Thread[] second = new Thread[1];
            java.util.concurrent.Future<String> sameUid = pool.submit(() -> {
                second[0] = Thread.currentThread();
                return quota.tryReserve(1000, 1, () -> new RockerQuota.Held(1, 1));
            });
            assertEquals("another uid is not held by uid 1000's count", null,
                    java.util.concurrent.CompletableFuture.supplyAsync(() -> quota.tryReserve(1001, 1, () -> new RockerQuota.Held(0, 0)))
                            .get(10, java.util.concurrent.TimeUnit.SECONDS));
            long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
            while ((second[0] == null || second[0].getState() != Thread.State.BLOCKED) && System.nanoTime() < end) {
                Thread.sleep(5);
            }
            assertEquals("the same uid waits for the count", Thread.State.BLOCKED, second[0].getState());
            assertFalse(sameUid.isDone());
            counted.countDown();
            assertEquals(null, slow.get(10, java.util.concurrent.TimeUnit.SECONDS));
            assertEquals("then sees the rocker being built: 1 live + 1 being built = the quota of 2",
                    "quota: uid 1000 has 1 live rockers and 1 being built, at most 2 (max.rockers.per.uid): destroy one first",
                    sameUid.get(10, java.util.concurrent.TimeUnit.SECONDS));
        } finally {
            counted.countDown();
            pool.shutdownNow();
        }
    }
}
