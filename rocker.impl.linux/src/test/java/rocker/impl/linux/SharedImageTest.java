package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.RuleChain;

import rocker.api.RockerApp;
import rocker.api.RockerError;
import rocker.api.RockerResult;
import rocker.api.Stdio;
import rocker.testsupport.Images;
import rocker.testsupport.KernelView;

/**
 * One loop device and one squashfs superblock per distinct image, never mounted on the host
 * (docs/engine.md, "Shared image mounts"): rockers of one image share them, a replaced or rewritten
 * image gets a new one while the old rockers keep theirs, a user still needs to be able to read the image
 * itself, the mount goes after the grace period, and every rocker keeps its image whatever happens to
 * its engine or the image's holder.
 */
public class SharedImageTest {
    private final EngineFixture fx = new EngineFixture();
    private final Attacker attacker = new Attacker(fx);

    @Rule
    public final RuleChain rules = RuleChain.outerRule(fx).around(attacker);

    private final String guard = System.getProperty("rocker.guard");
    private final List<RockerEngine> engines = new ArrayList<>();

    @After
    public void shareAgain() {
        ImageHolders.share(true);
        for (RockerEngine e : engines) e.close();
    }

    /** A rocker that prints its image's marker and stays; its output goes to {@code out}. */
    private RockerResult start(RockerEngine engine, Path image, String name, ByteArrayOutputStream out) throws Exception {
        RockerResult r = engine.enterRocker(fx.request(image, name).build(), RockerApp.builder()
                .command("/bin/sh", "-c", "cat " + fx.work.resolve("exec-" + name + "/marker") + "; exec sleep 600")
                .stdout(Stdio.stream(out)).build());
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        return r;
    }

    private RockerResult start(Path image, String name, String expect) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RockerResult r = start(fx.engine, image, name, out);
        assertTrue("rocker " + name + " reads '" + expect + "': " + out,
                KernelView.eventually(EngineFixture.SETTLE, () -> out.toString().equals(expect)));
        return r;
    }

    /** The marker as rocker {@code r} sees it now (through its own mount namespace). */
    private String seenBy(RockerResult r, String name) throws Exception {
        return Files.readString(Path.of("/proc/" + r.appPid() + "/root" + fx.work.resolve("exec-" + name + "/marker")));
    }

    /** The mountinfo line of the rocker's image: "MAJ:MIN ... squashfs ..." with its options. */
    private String imageMount(RockerResult r, String name) throws Exception {
        String at = fx.work.resolve("exec-" + name).toString();
        for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(r.appPid()), "mountinfo"))) {
            String[] f = line.split(" ");
            if (f[4].equals(at) && line.contains(" - squashfs ")) return line;
        }
        throw new AssertionError("no squashfs mount on " + at + " in rocker " + r.guardName());
    }

    private static String device(String mountLine) {
        return mountLine.split(" ")[2];
    }

    private static Set<String> hostSquashfs() throws Exception {
        Set<String> s = new TreeSet<>();
        for (String m : KernelView.overlayAndSquashfsMounts()) {
            if (m.contains("squashfs")) s.add(m);
        }
        return s;
    }

    private List<RockerRecord> holders() {
        List<RockerRecord> out = new ArrayList<>();
        for (RockerRecord r : new Registry(fx.stateDir).all()) {
            if (r.state == RockerRecord.State.HOLDER) out.add(r);
        }
        return out;
    }

    @Test
    public void twoRockersOfOneImageShareOneLoopDeviceNeverMountedOnTheHost() throws Exception {
        Set<String> hostBefore = hostSquashfs();
        Path image = Images.build(fx.work, "one", Map.of("marker", "one\n"));
        RockerResult a = start(image, "a", "one\n");
        RockerResult b = start(image, "b", "one\n");
        assertEquals("one loop device for both: " + fx.ourLoops(), 1, fx.ourLoops().size());
        String ma = imageMount(a, "a");
        String mb = imageMount(b, "b");
        assertEquals("the same device, so the same superblock and page cache", device(ma), device(mb));
        for (String m : List.of(ma, mb)) {
            String options = m.split(" ")[5];
            assertTrue(m, options.startsWith("ro,") && options.contains("nosuid") && options.contains("nodev"));
        }
        assertEquals("no squashfs mount in the host's namespace while they run", hostBefore, hostSquashfs());
        assertEquals(1, holders().size());
        java.util.Map<String, String> images = new java.util.HashMap<>();
        fx.engine.list().forEach(i -> images.put(i.guardName(), i.image()));
        assertTrue("listed with the image's identity: " + images, images.get(a.guardName()) != null
                && images.get(a.guardName()).equals(images.get(b.guardName())));
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(a.guardName()).error());
        assertEquals("the other rocker keeps it", "one\n", seenBy(b, "b"));
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(b.guardName()).error());
        assertTrue("grace 0: the holder goes with the last rocker",
                KernelView.eventually(EngineFixture.SETTLE, () -> holders().isEmpty() && fx.ourLoops().isEmpty()));
        assertEquals(hostBefore, hostSquashfs());
    }

    @Test
    public void aReplacedOrRewrittenImageGetsANewMountAndTheOldRockersKeepTheOld() throws Exception {
        Path image = Images.build(fx.work, "img", Map.of("marker", "v1\n"));
        RockerResult r1 = start(image, "r1", "v1\n");

        // replaced: another file renamed over the name
        Path next = Images.build(fx.work, "next", Map.of("marker", "v2\n"));
        Files.move(next, image, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        RockerResult r2 = start(image, "r2", "v2\n");
        assertEquals("v1\n", seenBy(r1, "r1"));
        assertNotEquals(device(imageMount(r1, "r1")), device(imageMount(r2, "r2")));

        // rewritten in place (same inode, same size) and its mtime set back: only the ctime tells
        Path third = Images.build(fx.work, "third", Map.of("marker", "v3\n"));
        byte[] bytes = Files.readAllBytes(third);
        Map<String, Object> before = Files.readAttributes(image, "unix:ino,size,lastModifiedTime");
        assertEquals("the test rewrites with the same size", before.get("size"), (long) bytes.length);
        Thread.sleep(20); // a ctime tick later, whatever the file system's timestamp granularity
        Files.write(image, bytes); // truncates and writes the same inode
        Files.setLastModifiedTime(image, (FileTime) before.get("lastModifiedTime"));
        Map<String, Object> after = Files.readAttributes(image, "unix:ino,size,lastModifiedTime");
        assertEquals("same inode, size and mtime", before, after);
        RockerResult r3 = start(image, "r3", "v3\n");
        assertEquals("v2\n", seenBy(r2, "r2"));
        assertEquals("v1\n", seenBy(r1, "r1"));
        assertNotEquals(device(imageMount(r2, "r2")), device(imageMount(r3, "r3")));
        assertEquals(3, holders().size());
    }

    @Test
    public void aUserCannotGetARockerOfAnImageItCannotReadThatAnotherRockerHolds() throws Exception {
        Path rootOnly = Images.build(fx.work, "root-only", Map.of("marker", "secret\n"));
        Files.setPosixFilePermissions(rootOnly, PosixFilePermissions.fromString("rw-------"));
        RockerResult held = start(rootOnly, "held", "secret\n");
        assertEquals(1, holders().size());
        Path data = Files.createDirectory(attacker.home.resolve("data"));
        attacker.user.chown(data);
        rocker.api.RockerRequest request = rocker.api.RockerRequest.builder().appId(9).uid(attacker.user.uid).gid(attacker.user.gid)
                .pkgPath(rootOnly.toString()).execDir("/srv/rocker-test-exec").dataDir(data.toString()).overlayDirs("/srv").build();
        RockerResult r = fx.engine.enterRocker(request, RockerApp.of("/bin/true"), Attacker.callerOf(attacker.user));
        assertEquals(r.toString(), RockerError.SYS, r.error());
        assertEquals("permission denied: app_pkg_path '" + rootOnly + "': not readable by uid " + attacker.user.uid, r.message());
        assertEquals(List.of(held.guardName()), fx.engine.list().stream().map(i -> i.guardName()).toList());

        // the same image readable by all: the user's rocker shares the root rocker's mount
        Files.setPosixFilePermissions(rootOnly, PosixFilePermissions.fromString("rw-r--r--")); // ctime changes: a new identity
        RockerResult root2 = start(rootOnly, "root2", "secret\n");
        RockerResult user = fx.engine.enterRocker(request, RockerApp.of("/bin/sh", "-c", "exec sleep 600"), Attacker.callerOf(attacker.user));
        assertEquals(user.toString(), RockerError.SUCCESS, user.error());
        String inUser = Files.readString(Path.of("/proc/" + user.appPid() + "/root/srv/rocker-test-exec/marker"));
        assertEquals("secret\n", inUser);
        assertEquals(2, holders().size());
        assertEquals("two identities, two loop devices: " + fx.ourLoops(), 2, fx.ourLoops().size());
        assertNotEquals(device(imageMount(held, "held")), device(imageMount(root2, "root2")));
    }

    /** A rocker of {@code image} started and destroyed, its holder kept for a grace period of 60 s: the holder's device. */
    private String startAndEnd(Path image, String name, String marker) throws Exception {
        fx.engine.imageGrace(Duration.ofSeconds(60));
        RockerResult first = start(image, name, marker);
        String dev = device(imageMount(first, name));
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(first.guardName()).error());
        Thread.sleep(300); // the check after a rocker's end runs in the background
        assertEquals("kept within the grace period", 1, holders().size());
        return dev;
    }

    /**
     * Engines on one state dir (a server and {@code --local} commands): one that stops while another lives
     * leaves that one's idle holders to it (their grace is its to time); the last one to stop releases them.
     */
    @Test
    public void anEngineThatStopsBesideALiveOneLeavesTheIdleHoldersToIt() throws Exception {
        RockerEngine other = fx.engine(() -> guard, 0);
        engines.add(other);
        other.imageGrace(Duration.ofSeconds(60));
        Path image = Images.build(fx.work, "beside", Map.of("marker", "b\n"));
        startAndEnd(image, "b1", "b\n");
        engines.remove(other);
        other.close();
        Thread.sleep(300);
        assertEquals("the live engine's idle holder stays", 1, holders().size());
        assertTrue(KernelView.alive(holders().get(0).guardPid));
        assertEquals(1, fx.ourLoops().size());

        fx.engine.close(); // the last engine on the state dir: nobody else would time the grace
        assertTrue("released by the last engine's stop",
                KernelView.eventually(EngineFixture.SETTLE, () -> holders().isEmpty() && fx.ourLoops().isEmpty()));
    }

    /**
     * A serving engine looks at the holders every {@link RockerEngine#HOLDERS_AGAIN_MILLIS}, also with no spare
     * guards (configuration spareGuards 0, not oneShot): it finds the holder of a rocker that another engine made
     * and destroyed beside it (rocker run and kill --local next to a server) and releases it after its own grace.
     * A one-shot engine (the default of one with no spares) leaves it.
     */
    @Test
    public void aServingEngineWithoutSparesFindsAHolderWhoseRockerEndedUnseen() throws Exception {
        fx.engine.oneShot(false); // spareGuards 0, grace 0: the server
        // the check every engine makes after it starts (ImageHolders.CHECK_DELAY_MILLIS) is done before the holder is
        // made: else that check, not the look every 30 s, would find it idle
        Thread.sleep(ImageHolders.CHECK_DELAY_MILLIS + 1000);
        RockerEngine other = fx.engine(() -> guard, 0);
        engines.add(other);
        other.imageGrace(Duration.ofSeconds(60));
        Path image = Images.build(fx.work, "unseen", Map.of("marker", "u\n"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RockerResult r = start(other, image, "u1", out);
        assertTrue("read: " + out, KernelView.eventually(EngineFixture.SETTLE, () -> out.toString().equals("u\n")));
        assertEquals(RockerError.SUCCESS, other.destroy(r.guardName()).error());
        engines.remove(other);
        other.close(); // not the last engine: its idle holder (grace 60 s) is left to the live one, which did not see the end
        assertEquals("left to the serving engine", 1, holders().size());
        assertEquals(1, fx.ourLoops().size());
        assertTrue("found idle by the serving engine's look and released (its grace is 0)",
                KernelView.eventually(Duration.ofMillis(RockerEngine.HOLDERS_AGAIN_MILLIS + 10_000),
                        () -> holders().isEmpty() && fx.ourLoops().isEmpty()));
    }

    @Test
    public void anUnusedImageIsKeptForTheGracePeriodThenReleased() throws Exception {
        Path image = Images.build(fx.work, "grace", Map.of("marker", "g\n"));
        String dev = startAndEnd(image, "g1", "g\n");
        assertEquals(1, fx.ourLoops().size());
        RockerResult again = start(image, "g2", "g\n");
        assertEquals("a restart finds the same mount", dev, device(imageMount(again, "g2")));
        assertEquals(RockerError.SUCCESS, fx.engine.destroy(again.guardName()).error());
        fx.engine.imageGrace(Duration.ofMillis(500)); // now due within half a second of the last end
        assertTrue("released after the grace period",
                KernelView.eventually(EngineFixture.SETTLE, () -> holders().isEmpty() && fx.ourLoops().isEmpty()));
    }

    /**
     * A check lists the registry without the holders' lock (a start's lease does not wait for a listing of
     * hundreds of records): a rocker whose record and lease come after the listing still keeps its holder.
     */
    @Test
    public void aHolderLeasedWhileACheckListsTheRegistryIsKept() throws Exception {
        Path image = Images.build(fx.work, "race", Map.of("marker", "r\n"));
        String dev = startAndEnd(image, "r1", "r\n");
        RockerRecord holder = holders().get(0);
        java.util.concurrent.CountDownLatch listed = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        ImageHolders.afterListing = all -> {
            // a listing in which the holder has no user: with no grace left, that check releases it
            if (listed.getCount() > 0) {
                listed.countDown();
                try {
                    go.await(30, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        try {
            fx.engine.imageGrace(Duration.ZERO); // a check now
            assertTrue("a check listed the registry", listed.await(10, java.util.concurrent.TimeUnit.SECONDS));
            RockerResult second = start(image, "r2", "r\n"); // its record and lease come after that listing
            go.countDown();
            Thread.sleep(300); // the check goes on in the background
            assertEquals("the holder the second rocker leased stays", List.of(holder.name),
                    holders().stream().map(h -> h.name).collect(java.util.stream.Collectors.toList()));
            assertTrue(KernelView.alive(holder.guardPid));
            RockerResult third = start(image, "r3", "r\n");
            assertEquals("one mount for both", device(imageMount(second, "r2")), device(imageMount(third, "r3")));
            assertEquals(dev, device(imageMount(third, "r3")));
            assertEquals(1, fx.ourLoops().size());
            for (RockerResult r : List.of(second, third)) {
                assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
            }
        } finally {
            ImageHolders.afterListing = null;
            go.countDown();
        }
    }

    @Test
    public void everyRockerKeepsItsImageWhenItsEngineOrTheHolderIsKilled() throws Exception {
        Path image = Images.build(fx.work, "crash", Map.of("marker", "c\n"));
        RockerEngine a = fx.engine(() -> guard, 0);
        engines.add(a);
        ByteArrayOutputStream o1 = new ByteArrayOutputStream();
        ByteArrayOutputStream o2 = new ByteArrayOutputStream();
        RockerResult r1 = start(a, image, "k1", o1);
        RockerResult r2 = start(a, image, "k2", o2);
        assertTrue(KernelView.eventually(EngineFixture.SETTLE, () -> o1.toString().equals("c\n") && o2.toString().equals("c\n")));
        engines.remove(a);
        a.close(); // its rockers live on, and so does the holder of their image, which they use
        assertEquals(1, holders().size());
        RockerRecord holder = holders().get(0);
        assertTrue(KernelView.alive(holder.guardPid));

        RockerEngine b = fx.engine(() -> guard, 0);
        engines.add(b);
        ByteArrayOutputStream o3 = new ByteArrayOutputStream();
        RockerResult r3 = start(b, image, "k3", o3);
        assertTrue(KernelView.eventually(EngineFixture.SETTLE, () -> o3.toString().equals("c\n")));
        assertEquals("the new engine uses the holder the dead one left", 1, fx.ourLoops().size());
        assertEquals(device(imageMount(r1, "k1")), device(imageMount(r3, "k3")));

        // the holder killed: each rocker holds its own reference to the mount
        assertEquals(0, new ProcessBuilder("kill", "-9", Integer.toString(holder.guardPid)).start().waitFor());
        assertTrue(KernelView.eventually(EngineFixture.SETTLE, () -> !KernelView.alive(holder.guardPid)));
        for (Object[] r : new Object[][] {{r1, "k1"}, {r2, "k2"}, {r3, "k3"}}) {
            assertEquals("c\n", seenBy((RockerResult) r[0], (String) r[1]));
        }
        assertEquals("the loop device stays while rockers mount it", 1, fx.ourLoops().size());
        for (RockerResult r : List.of(r1, r2, r3)) {
            assertEquals(RockerError.SUCCESS, b.destroy(r.guardName()).error());
        }
        assertTrue("the dead holder's record goes", KernelView.eventually(EngineFixture.SETTLE, () -> holders().isEmpty()));
    }

    @Test
    public void withoutSharingEachRockerGetsALoopDeviceOfItsOwn() throws Exception {
        ImageHolders.share(false);
        Path image = Images.build(fx.work, "own", Map.of("marker", "o\n"));
        RockerResult a = start(image, "o1", "o\n");
        RockerResult b = start(image, "o2", "o\n");
        assertEquals("the fallback: one loop device per rocker", 2, fx.ourLoops().size());
        assertNotEquals(device(imageMount(a, "o1")), device(imageMount(b, "o2")));
        assertTrue(holders().isEmpty());
        assertFalse(fx.engine.list().isEmpty());
    }

    /**
     * A spare's /dev is built ahead of need over the host's (when rockers share image mounts); a rocker that
     * gets no shared mount after all (here: sharing turned off meanwhile, as when a holder cannot be made)
     * needs the host's /dev/loop* in its plan: the spare's /dev is dropped first and the rocker still gets
     * the minimal one (no host disk in it).
     */
    @Test
    public void aRockerOnASpareWithoutASharedMountGetsItsLoopDeviceAndTheMinimalDev() throws Exception {
        fx.engine.close();
        fx.engine = fx.engine(() -> guard, 2);
        Path image = Images.build(fx.work, "own", Map.of("marker", "o\n"));
        RockerResult first = start(image, "s1", "o\n"); // spares come once the engine has built a rocker
        assertTrue("a spare waits", KernelView.eventually(EngineFixture.SETTLE,
                () -> fx.engine.pool.count(GuardProcess.flags(fx.request(image, "s2").build())) > 0));
        ImageHolders.share(false);
        int dropped = DevDir.DROPPED_AHEAD.get();
        RockerResult second = start(image, "s2", "o\n");
        assertEquals("the spare's /dev was dropped for the plan", dropped + 1, DevDir.DROPPED_AHEAD.get());
        assertEquals("the holder's loop device and the second rocker's own", 2, fx.ourLoops().size());
        Path dev = Path.of("/proc/" + second.appPid() + "/root/dev");
        assertTrue("the rocker's /dev has null", Files.exists(dev.resolve("null")));
        assertFalse("no host disk in the rocker's /dev", Files.exists(dev.resolve("vda")));
        assertFalse("no loop control in the rocker's /dev", Files.exists(dev.resolve("loop-control")));
        String mounts = Files.readString(Path.of("/proc/" + second.appPid() + "/mountinfo"));
        int hostDevpts = Files.readString(Path.of("/proc/self/mountinfo")).split(" - devpts ", -1).length - 1;
        assertEquals("the host's devpts (covered) and the rocker's: the spare's /dev went with its mounts", hostDevpts + 1,
                mounts.split(" - devpts ", -1).length - 1);
        assertTrue("the rocker's /dev is read-only", java.util.Arrays.stream(mounts.split("\n"))
                .anyMatch(l -> l.split(" ")[4].equals("/dev") && l.split(" ")[5].startsWith("ro,") && l.contains(" - tmpfs ")));
        for (RockerResult r : List.of(first, second)) {
            assertEquals(RockerError.SUCCESS, fx.engine.destroy(r.guardName()).error());
        }
    }

    /** The records of holders spawned ahead of need (a spare's record, the holder's process name). */
    private List<RockerRecord> spareHolders() {
        List<RockerRecord> out = new ArrayList<>();
        for (RockerRecord r : new Registry(fx.stateDir).all()) {
            if (r.state == RockerRecord.State.SPARE && ProcStat.live(r.guardPid).map(p -> p.name.equals(ImageHolders.HOLDER_NAME)).orElse(false)) {
                out.add(r);
            }
        }
        return out;
    }

    /**
     * An engine that keeps spares keeps one holder spawned ahead of need: a new image's first rocker takes it
     * (its record becomes that image's holder's), another is spawned, and the engine's end ends the spare.
     */
    @Test
    public void aNewImagesFirstRockerTakesTheSpareHolder() throws Exception {
        fx.engine.close();
        fx.engine = fx.engine(() -> guard, 1);
        Path one = Images.build(fx.work, "one", Map.of("marker", "one\n"));
        Path two = Images.build(fx.work, "two", Map.of("marker", "two\n"));
        start(one, "a", "one\n");
        assertTrue("a spare holder after the first rocker: " + spareHolders(),
                KernelView.eventually(EngineFixture.SETTLE, () -> spareHolders().size() == 1));
        RockerRecord spare = spareHolders().get(0);
        start(two, "b", "two\n");
        assertTrue("image two's holder is the spare that was ready: " + holders(),
                holders().stream().anyMatch(h -> h.name.equals(spare.name) && h.guardPid == spare.guardPid && h.image != null));
        assertTrue("another spare holder: " + spareHolders(), KernelView.eventually(EngineFixture.SETTLE,
                () -> spareHolders().size() == 1 && !spareHolders().get(0).name.equals(spare.name)));
        int next = spareHolders().get(0).guardPid;
        assertEquals("one loop device per image, none for the spare: " + fx.ourLoops(), 2, fx.ourLoops().size());
        fx.engine.close();
        assertTrue("the spare holder ends with its engine", KernelView.eventually(EngineFixture.SETTLE, () -> !KernelView.alive(next)));
        assertEquals(List.of(), spareHolders());
        fx.engine = fx.engine(() -> guard, 0);
    }
}
