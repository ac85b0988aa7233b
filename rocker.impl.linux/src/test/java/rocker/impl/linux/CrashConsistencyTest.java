package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import org.junit.Rule;
import org.junit.Test;

import rocker.api.RockerApp;
import rocker.api.RockerError;
import rocker.api.RockerInfo;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.testsupport.HostUser;
import rocker.testsupport.Images;
import rocker.testsupport.KernelView;

/**
 * The registry and the processes agree after any engine's end (docs/engine.md, "Crash consistency"):
 * a data dir is locked by the rocker itself, whatever path names it and whichever engine asks; an
 * adopted rocker's app status is observable; a new engine tears down what a dead engine left
 * half-built, destroys unrecorded guards of its state dir, leaves other state dirs' and live engines'
 * alone, and survives a torn record.
 */
public class CrashConsistencyTest {
    @Rule
    public final EngineFixture fx = new EngineFixture();

    private final String guard = System.getProperty("rocker.guard");

    private RockerResult start(RockerEngine engine, RockerRequest request, String script) {
        RockerResult r = engine.enterRocker(request, RockerApp.of("/bin/sh", "-c", script));
        return r;
    }

    private Path image() throws Exception {
        return Images.build(fx.work, "img", Map.of("marker", "x\n"));
    }

    private static void assertRefused(RockerResult r, String message) {
        assertEquals(r.toString(), RockerError.PARAM_INVALID, r.error());
        assertTrue(r.message(), r.message().contains(message));
    }

    @Test
    public void aDataDirIsLockedByItsIdentityWhateverPathNamesIt() throws Exception {
        Path img = image();
        Path real = Files.createDirectories(fx.work.resolve("real"));
        Path link = fx.work.resolve("link");
        Files.createSymbolicLink(link, real);
        Files.writeString(Files.createDirectories(real.resolve("d")).resolve("keep"), "precious\n");
        RockerResult first = start(fx.engine, fx.request(img, "a").dataDir(real.resolve("d").toString()).build(), "sleep 600");
        assertEquals(first.toString(), RockerError.SUCCESS, first.error());

        // the same dir through a symlinked parent
        RockerResult same = start(fx.engine, fx.request(img, "b").dataDir(link.resolve("d").toString()).build(), "sleep 600");
        assertRefused(same, "app_data_dir '" + link.resolve("d") + "': is in use by rocker " + first.guardName());
        // a dir inside it, and the dir holding it
        RockerResult inside = start(fx.engine, fx.request(img, "c").dataDir(link.resolve("d/inner").toString()).build(), "sleep 600");
        assertRefused(inside, "app_data_dir '" + link.resolve("d/inner") + "': lies in the data dir of rocker " + first.guardName());
        RockerResult holding = start(fx.engine, fx.request(img, "e").dataDir(real.toString()).build(), "sleep 600");
        assertRefused(holding, "app_data_dir '" + real + "': holds the data dir of a live rocker");
        assertFalse("the refused build left nothing in the first's data dir", Files.exists(real.resolve("d/inner")));
        assertEquals("precious\n", Files.readString(real.resolve("d/keep")));

        // a sibling is fine
        RockerResult sibling = start(fx.engine, fx.request(img, "f").dataDir(real.resolve("f").toString()).build(), "sleep 600");
        assertEquals(sibling.toString(), RockerError.SUCCESS, sibling.error());
        assertEquals(2, fx.engine.list().size());
    }

    @Test
    public void movingALiveRockersLayersIntoAnotherDataDirDoesNotGetThemASecondOverlay() throws Exception {
        Path img = image();
        RockerResult a = start(fx.engine, fx.request(img, "a", "/etc").build(), "sleep 600");
        assertEquals(a.toString(), RockerError.SUCCESS, a.error());
        Path b = Files.createDirectories(fx.work.resolve("data-b"));
        Files.move(fx.work.resolve("data-a/upper"), b.resolve("upper"));
        Files.move(fx.work.resolve("data-a/work"), b.resolve("work"));
        RockerResult second = start(fx.engine, fx.request(img, "b", "/etc").build(), "sleep 600");
        assertRefused(second, "app_data_dir '" + b + "': upper/etc is in use by rocker " + a.guardName());
        assertEquals(1, fx.engine.list().size());
    }

    @Test
    public void anotherUserCannotNestADataDirInAVictimsToBlockIt() throws Exception {
        Path img = image();
        try (HostUser victim = HostUser.create("rk-t"); HostUser attacker = HostUser.create("rk-t")) {
            Path data = victim.home(fx.work).resolve("data");
            RockerResult v = fx.engine.enterRocker(fx.request(img, "v", "/var").uid(victim.uid).gid(victim.gid)
                    .dataDir(data.toString()).build(), RockerApp.of("/bin/sh", "-c", "touch /var/tmp/x; sleep 600"), Attacker.callerOf(victim));
            assertEquals(v.toString(), RockerError.SUCCESS, v.error());
            assertTrue(KernelView.eventually(EngineFixture.SETTLE, () -> Files.isDirectory(data.resolve("upper/var/tmp"))));
            // the world-writable dirs of a data dir are out of other users' reach: upper/ is the user's 0700,
            // the private /tmp and /run lie in root's private/ (0700)
            assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("upper"))));
            assertEquals(0, Files.getAttribute(data.resolve("private"), "unix:uid"));
            assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("private"))));
            for (String dir : List.of("upper/var/tmp", "private/tmp")) {
                String[] r = attacker.runAs("mkdir", data.resolve(dir).resolve("evil").toString());
                assertEquals(dir + ": " + r[1], "1", r[0]);
                assertTrue(r[1], r[1].contains("Permission denied"));
                assertFalse(Files.exists(data.resolve(dir).resolve("evil")));
            }
            assertEquals(RockerError.SUCCESS, fx.engine.destroy(v.guardName()).error());
        }
    }

    @Test
    public void lockFilesDoNotPileUp() throws Exception {
        Path img = image();
        Path deep = fx.work.resolve("deep");
        for (int i = 0; i < DataDirLock.MAX_DEPTH; i++) deep = deep.resolve("d");
        Files.createDirectories(deep);
        Path locks = fx.stateDir.resolve("locks");
        RockerResult tooDeep = start(fx.engine, fx.request(img, "x").dataDir(deep.toString()).build(), "true");
        assertRefused(tooDeep, "lies deeper than " + DataDirLock.MAX_DEPTH + " dirs");
        assertTrue("a refused request leaves no lock file: " + lockFiles(locks), lockFiles(locks).isEmpty());
        RockerResult r = start(fx.engine, fx.request(img, "y", "/etc").build(), "sleep 600");
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        assertFalse(lockFiles(locks).isEmpty());
        List<String> made = lockFiles(locks);
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
        // kept for the next rocker on this data dir (none made again), swept by a new engine (or once many were made)
        RockerResult again = start(fx.engine, fx.request(img, "y", "/etc").build(), "sleep 600");
        assertEquals(again.toString(), RockerError.SUCCESS, again.error());
        assertEquals(made, lockFiles(locks));
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(again.guardName()).error());
        fx.engine(() -> guard, 0).close();
        assertTrue("none once no rocker holds them: " + lockFiles(locks), lockFiles(locks).isEmpty());
    }

    /**
     * Two rockers started at once, one on a dir and one inside it, never both run: the dir's lock taken
     * exclusively by the one and shared by the other (flock(2) decides, whichever comes first), also while
     * a sweeper removes every lock file nobody holds (each locker then finds its file unlinked and locks the
     * name's new one). On spares (the plan runs beside the caller's bookkeeping). Bounded: 25 rounds of two
     * starts on two threads, fresh dirs each round.
     */
    @Test
    public void aDirAndADirInsideItStartedAtOnceNeverBothRun() throws Exception {
        fx.engine.close();
        fx.engine = fx.engine(() -> guard, 2);
        Path img = image();
        Path locks = Files.createDirectories(fx.stateDir.resolve("locks"));
        java.util.concurrent.ExecutorService two = java.util.concurrent.Executors.newFixedThreadPool(2);
        java.util.concurrent.atomic.AtomicBoolean sweeping = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.atomic.AtomicInteger sweeps = new java.util.concurrent.atomic.AtomicInteger();
        Thread sweeper = new Thread(() -> {
            int dir = rocker.impl.linux.sys.Fd.openNoMagicLinks(locks.toString(), rocker.impl.linux.sys.Posix.O_RDONLY
                    | rocker.impl.linux.sys.Fd.O_DIRECTORY, 0);
            try {
                while (sweeping.get()) {
                    LockFiles.sweep(dir);
                    sweeps.incrementAndGet();
                }
            } finally {
                rocker.impl.linux.sys.Posix.close(dir);
            }
        }, "test-lock-sweeper");
        sweeper.start();
        int both = 0;
        int outerWon = 0;
        int innerWon = 0;
        try {
            for (int round = 0; round < 25; round++) {
                Path outer = Files.createDirectories(fx.work.resolve("race/" + round + "/outer"));
                Path inner = Files.createDirectories(outer.resolve("in/inner"));
                java.util.concurrent.CyclicBarrier go = new java.util.concurrent.CyclicBarrier(2);
                String n = Integer.toString(round);
                java.util.concurrent.Future<RockerResult> o = two.submit(() -> {
                    go.await();
                    return start(fx.engine, fx.request(img, "o" + n).dataDir(outer.toString()).build(), "sleep 600");
                });
                java.util.concurrent.Future<RockerResult> i = two.submit(() -> {
                    go.await();
                    return start(fx.engine, fx.request(img, "i" + n).dataDir(inner.toString()).build(), "sleep 600");
                });
                RockerResult ro = o.get();
                RockerResult ri = i.get();
                if (ro.isSuccess() && ri.isSuccess()) both++;
                if (ro.isSuccess()) {
                    outerWon++;
                    if (!ri.isSuccess()) assertRefused(ri, "lies in the data dir of rocker " + ro.guardName());
                }
                if (ri.isSuccess()) {
                    innerWon++;
                    if (!ro.isSuccess()) assertRefused(ro, "holds the data dir of a live rocker");
                }
                for (RockerResult r : List.of(ro, ri)) {
                    if (r.isSuccess()) assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
                }
            }
        } finally {
            two.shutdownNow();
            sweeping.set(false);
            sweeper.join(10_000);
        }
        assertTrue("the sweeper swept during the rounds: " + sweeps, sweeps.get() > 25);
        assertEquals("rounds in which a dir and a dir inside it both got a rocker", 0, both);
        assertEquals("one of the two runs in every round (" + outerWon + " outer, " + innerWon + " inner)", 25, outerWon + innerWon);
        // the starts overlapped: each side won some rounds (16-19 outer, 6-9 inner in runs on a 2-CPU VM)
        assertTrue("both orders: " + outerWon + " outer, " + innerWon + " inner", outerWon > 0 && innerWon > 0);
    }

    /**
     * A build refused after it made lock files removes the ones it made (and only those), without sweeping
     * the lock dir: the sweep is due only once as many files were made as the last sweep kept.
     */
    @Test
    public void aRefusedBuildRemovesTheLockFilesItMadeAndNoOthers() throws Exception {
        Path img = image();
        Path locks = fx.stateDir.resolve("locks");
        Path outer = Files.createDirectories(fx.work.resolve("outer"));
        sweptJustNow(); // no sweep falls due in this test: what stays is what the refused build left
        RockerResult a = start(fx.engine, fx.request(img, "a").dataDir(outer.toString()).build(), "sleep 600");
        assertEquals(a.toString(), RockerError.SUCCESS, a.error());
        List<String> before = lockFiles(locks);
        // an unheld lock file of another dir, left as a destroyed rocker's: a refused build does not sweep it
        Path stray = locks.resolve("ffff-ffff.lock");
        Files.writeString(stray, "gone\n");
        // its own data dir's lock file is made, then the lock of the dir above (rocker a's) is refused
        Path inner = Files.createDirectories(outer.resolve("x/inner"));
        int madeBefore = LockFiles.made();
        RockerResult refused = start(fx.engine, fx.request(img, "b").dataDir(inner.toString()).build(), "sleep 600");
        assertEquals("the refused build made the lock files of its data dir and of x", madeBefore + 2, LockFiles.made());
        assertRefused(refused, "app_data_dir '" + inner + "': lies in the data dir of rocker " + a.guardName());
        java.util.Set<String> after = new java.util.TreeSet<>(lockFiles(locks));
        java.util.Set<String> expected = new java.util.TreeSet<>(before);
        expected.add(stray.getFileName().toString());
        assertEquals("the refused build's own lock files are gone, the others stay", expected, after);
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(a.guardName()).error());
    }

    /** Resets the lock files' counts as a sweep does (a sweep of an empty dir): the next sweep is due after 256 new files. */
    private void sweptJustNow() throws Exception {
        Path empty = Files.createDirectories(fx.work.resolve("no-locks"));
        int dir = rocker.impl.linux.sys.Fd.openNoMagicLinks(empty.toString(), rocker.impl.linux.sys.Posix.O_RDONLY
                | rocker.impl.linux.sys.Fd.O_DIRECTORY, 0);
        try {
            assertEquals(0, LockFiles.sweep(dir));
        } finally {
            rocker.impl.linux.sys.Posix.close(dir);
        }
    }

    /** A sweep removes what nobody holds, keeps what is held, and is due again once as many files were made as it kept. */
    @Test
    public void aSweepKeepsHeldLockFilesAndIsDueInProportionToThem() throws Exception {
        Path locks = Files.createDirectories(fx.work.resolve("locks"));
        int dir = rocker.impl.linux.sys.Fd.openNoMagicLinks(locks.toString(), rocker.impl.linux.sys.Posix.O_RDONLY
                | rocker.impl.linux.sys.Fd.O_DIRECTORY, 0);
        List<Integer> held = new java.util.ArrayList<>();
        try {
            int heldCount = LockFiles.SWEEP_AFTER + 44;
            for (int i = 0; i < heldCount; i++) {
                Path d = Files.createDirectories(fx.work.resolve("dirs/d" + i));
                int dfd = rocker.impl.linux.sys.Fd.openNoMagicLinks(d.toString(), rocker.impl.linux.sys.Fd.O_PATH
                        | rocker.impl.linux.sys.Fd.O_DIRECTORY, 0);
                try {
                    LockFiles.Lock l = LockFiles.lock(dir, rocker.impl.linux.sys.Fd.stat(dfd, d.toString()), rocker.impl.linux.sys.Fd.LOCK_SH, false);
                    held.add(l.fd);
                    assertTrue(l.taken && l.made);
                } finally {
                    rocker.impl.linux.sys.Posix.close(dfd);
                }
            }
            for (int i = 0; i < 10; i++) Files.writeString(locks.resolve("0-" + Integer.toHexString(10_000 + i) + ".lock"), "");
            assertEquals(10, LockFiles.sweep(dir));
            assertEquals(heldCount, lockFiles(locks).size());
            assertEquals("due again after as many new files as it kept", heldCount, LockFiles.sweepAfter());
            held.forEach(rocker.impl.linux.sys.Posix::close);
            held.clear();
            assertEquals(heldCount, LockFiles.sweep(dir));
            assertTrue(lockFiles(locks).isEmpty());
            assertEquals("never due before " + LockFiles.SWEEP_AFTER + " new files", LockFiles.SWEEP_AFTER, LockFiles.sweepAfter());
        } finally {
            held.forEach(rocker.impl.linux.sys.Posix::close);
            rocker.impl.linux.sys.Posix.close(dir);
        }
    }

    private static List<String> lockFiles(Path locks) throws Exception {
        if (!Files.isDirectory(locks)) return List.of();
        try (var s = Files.list(locks)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    @Test
    public void theLockIsTheRockersNotTheEnginesAndGoesWithIt() throws Exception {
        Path img = image();
        RockerEngine a = fx.engine(() -> guard, 0);
        RockerResult r = start(a, fx.request(img, "a").build(), "sleep 600");
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        a.close(); // the rocker lives on, and holds its data dir

        RockerResult again = start(fx.engine, fx.request(img, "a").execDir(fx.work.resolve("exec-a2").toString()).build(), "sleep 600");
        assertRefused(again, "is in use by rocker " + r.guardName());
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
        RockerResult after = start(fx.engine, fx.request(img, "a").execDir(fx.work.resolve("exec-a3").toString()).build(), "sleep 600");
        assertEquals(after.toString(), RockerError.SUCCESS, after.error());
    }

    @Test
    public void anAdoptedRockersAppStatusStaysObservable() throws Exception {
        Path img = image();
        RockerEngine a = fx.engine(() -> guard, 0);
        RockerResult ended = start(a, fx.request(img, "x").build(), "exit 3");
        RockerResult later = start(a, fx.request(img, "y").build(), "sleep 600");
        assertEquals(ended.toString(), RockerError.SUCCESS, ended.error());
        assertEquals(later.toString(), RockerError.SUCCESS, later.error());
        assertEquals(3, a.waitForApp(ended.guardName(), Duration.ofSeconds(10)).getAsInt());
        a.close();

        RockerEngine b = fx.engine(() -> guard, 0);
        try {
            // the app ended before this engine existed: its guard still knows
            assertEquals(OptionalInt.of(3), b.waitForApp(ended.guardName(), Duration.ofSeconds(10)));
            assertEquals(2, b.list().size());
            assertEquals(RockerError.SUCCESS, b.destroy(later.guardName()).error());
            assertEquals(OptionalInt.of(128 + 9), b.waitForApp(later.guardName(), Duration.ofSeconds(10)));
        } finally {
            b.close();
        }
    }

    @Test
    public void anAdoptedRockersAppEndIsSeenWhenItHappens() throws Exception {
        Path img = image();
        RockerEngine a = fx.engine(() -> guard, 0);
        RockerResult r = start(a, fx.request(img, "w").build(), "sleep 600; exit 5");
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        a.close();
        RockerEngine b = fx.engine(() -> guard, 0);
        try {
            assertEquals("not ended yet", OptionalInt.empty(), b.waitForApp(r.guardName(), Duration.ofMillis(300)));
            // end the app's sleep: the shell goes on and exits 5
            String children = Files.readString(Path.of("/proc", Integer.toString(r.appPid()), "task",
                    Integer.toString(r.appPid()), "children")).trim();
            assertEquals(0, new ProcessBuilder("kill", "-9", children).start().waitFor());
            assertEquals(OptionalInt.of(5), b.waitForApp(r.guardName(), Duration.ofSeconds(10)));
        } finally {
            b.close();
        }
    }

    @Test
    public void aStreamedAppOutlivesItsEngineAndIsNotBlockedByIt() throws Exception {
        Path img = image();
        RockerEngine a = fx.engine(() -> guard, 0);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        // writes more than a pipe holds once its engine is gone: it must neither die of SIGPIPE nor block
        RockerResult r = a.enterRocker(fx.request(img, "s").build(), RockerApp.builder()
                .command("/bin/sh", "-c", "i=0; while [ $i -lt 400 ]; do printf '%01024d' 0; i=$((i+1)); sleep 0.005; done; exit 4")
                .stdout(rocker.api.Stdio.stream(out)).build());
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        assertTrue(KernelView.eventually(EngineFixture.SETTLE, () -> out.size() > 0));
        long threadsBefore = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("rocker-stdout-")).count();
        assertTrue(threadsBefore > 0);
        a.close();
        assertTrue("the copying thread ends with its engine", KernelView.eventually(EngineFixture.SETTLE, () -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().equals("rocker-stdout-" + r.guardName()))));
        RockerEngine b = fx.engine(() -> guard, 0);
        try {
            assertEquals("the app wrote on and ended by itself", OptionalInt.of(4), b.waitForApp(r.guardName(), Duration.ofSeconds(30)));
        } finally {
            b.close();
        }
    }

    /** A guard of this state dir, spawned as an engine would, under {@code name}. */
    private GuardProcess spawn(String name, String stateKey) {
        return GuardProcess.start(guard, GuardPool.SPARE_NAME, "-", name, stateKey);
    }

    private String key() throws Exception {
        Files.createDirectories(fx.stateDir);
        return Reconciler.stateKey(fx.stateDir);
    }

    @Test
    public void aNewEngineTearsDownWhatADeadEngineLeftHalfBuiltAndDestroysUnrecordedGuards() throws Exception {
        GuardNames names = new GuardNames();
        String halfBuilt = names.next(n -> false);
        String unrecorded = names.next(n -> n.equals(halfBuilt));
        String otherStateDir = names.next(n -> n.equals(halfBuilt) || n.equals(unrecorded));
        Registry registry = new Registry(fx.stateDir);
        // a record written ahead by an engine that is gone: a process that ended
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        GuardProcess h = spawn(halfBuilt, key());
        registry.record(new RockerRecord(RockerRecord.State.BUILDING, (int) gone.pid(), 1, 0, halfBuilt, h.guardPid, h.guardStart,
                h.keeperPid, 0, Instant.now(), RockerRequest.builder().build()));
        GuardProcess u = spawn(unrecorded, key());
        GuardProcess o = spawn(otherStateDir, "1:2");
        try {
            RockerEngine b = fx.engine(() -> guard, 0);
            try {
                assertFalse("the half-built rocker's guard is gone", KernelView.alive(h.guardPid));
                assertFalse("its keeper is gone", KernelView.alive(h.keeperPid));
                assertFalse("its record is gone", registry.contains(halfBuilt));
                assertFalse("the unrecorded guard is gone", KernelView.alive(u.guardPid));
                assertTrue("another state dir's guard is left alone", KernelView.alive(o.guardPid));
                assertEquals(List.of(), b.list());
            } finally {
                b.close();
            }
        } finally {
            for (GuardProcess g : List.of(h, u, o)) {
                rocker.impl.linux.sys.Posix.close(g.control); // a spare without an app ends with its socket
                Keepers.reap(g.keeperPid);
            }
        }
    }

    @Test
    public void aLiveEnginesSparesAreNotItsNeighboursBusiness() throws Exception {
        RockerEngine a = fx.engine(() -> guard, 2);
        try {
            // spares come once the engine has built a rocker: two guards and one image holder
            RockerResult r = start(a, fx.request(image(), "s").build(), "sleep 600");
            assertEquals(r.toString(), RockerError.SUCCESS, r.error());
            Registry registry = new Registry(fx.stateDir);
            assertTrue(KernelView.eventually(EngineFixture.SETTLE, () -> registry.all().stream().filter(x -> x.state == RockerRecord.State.SPARE
                    && x.guardPid > 0).count() == 3));
            List<RockerRecord> spares = registry.all().stream().filter(x -> x.state == RockerRecord.State.SPARE).toList();
            RockerEngine b = fx.engine(() -> guard, 0);
            try {
                for (RockerRecord s : spares) assertTrue("spare " + s.name + " lives", s.isAlive());
                assertEquals("b adopted the running rocker", List.of(r.guardName()), b.list().stream().map(RockerInfo::guardName).toList());
            } finally {
                b.close();
            }
            assertEquals(RockerError.SUCCESS, a.destroy(r.guardName()).error());
        } finally {
            a.close();
        }
        assertTrue("a closed engine's spare records are gone", KernelView.eventually(EngineFixture.SETTLE, () -> new Registry(fx.stateDir).all().isEmpty()));
    }

    @Test
    public void aTornRecordIsReportedAndPutAsideNeverFatal() throws Exception {
        Path img = image();
        RockerResult r = start(fx.engine, fx.request(img, "t").build(), "sleep 600");
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        Path dir = fx.stateDir.resolve("rockers");
        Files.writeString(dir.resolve("rockerzzzzzzzzz.rocker"), "format=2\nstate=RUNNING\nguard_pid=12\u0000\u0001garbage");
        Files.write(dir.resolve("rockeryyyyyyyyy.rocker"), new byte[0]);
        // what a killed engine left between write and rename, and what a live one is writing now
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path left = Files.writeString(dir.resolve(".rockerxxxxxxxxx." + gone.pid() + ".tmp"), "x");
        Path writing = Files.writeString(dir.resolve(".rockerwwwwwwwww." + ProcessHandle.current().pid() + ".tmp"), "x");
        RockerEngine b = fx.engine(() -> guard, 0);
        try {
            assertFalse(Files.exists(left));
            assertTrue(Files.exists(writing));
            Files.delete(writing);
            assertEquals(List.of(r.guardName()), b.list().stream().map(RockerInfo::guardName).toList());
            assertTrue(Files.exists(dir.resolve("rockerzzzzzzzzz.bad")));
            assertTrue(Files.exists(dir.resolve("rockeryyyyyyyyy.bad")));
            assertFalse(Files.exists(dir.resolve("rockerzzzzzzzzz.rocker")));
        } finally {
            b.close();
        }
    }

    /**
     * A build killed between making the rocker's own /tmp and setting its mode left it root 0700 (an engine
     * before the mount workers' umask of 0 could): the next rocker of that data dir gets its /tmp 1777 again,
     * and an app of another uid can use it.
     */
    @Test
    public void aPrivateTmpLeftNarrowByAKilledBuildIsWideAgain() throws Exception {
        Path image = image();
        RockerRequest request = fx.request(image, "narrow-tmp").uid(1000).gid(1000).build();
        Path tmp = Files.createDirectories(Path.of(request.dataDir(), "private", "tmp"));
        Files.setPosixFilePermissions(Path.of(request.dataDir(), "private"), java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        RockerResult r = start(fx.engine, request, "echo x > /tmp/probe && echo ok");
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        assertEquals(java.util.OptionalInt.of(0), fx.engine.waitForApp(r.guardName(), Duration.ofSeconds(20)));
        assertEquals(01777, (int) Files.getAttribute(tmp, "unix:mode") & 07777);
        assertEquals("x\n", Files.readString(tmp.resolve("probe")));
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
    }
}
