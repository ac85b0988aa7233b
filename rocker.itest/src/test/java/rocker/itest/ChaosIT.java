package rocker.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.junit.After;
import org.junit.Assume;
import org.junit.Before;
import org.junit.Test;

import rocker.testsupport.Images;
import rocker.testsupport.KernelView;
import rocker.testsupport.WorkDirs;

/**
 * The chaos suite of the reliability issue: creates in flight against a real {@code rocker serve}
 * while the server is SIGKILLed at a random point (during a request, during the engine's build, after
 * it), then a new server on the same state dir, which reconciles; twice per round, so that the second
 * wave meets a server that adopted the first wave's rockers, and a third server adopts them again.
 * After each restart, from the kernel's view (/proc, /sys, mountinfo) rather than Rocker's own answers:
 * <ul>
 * <li>every live guard of the state dir is listed, and every listed one is killable;</li>
 * <li>no two listed rockers share a data dir; a create answered SUCCESS is listed (unless its guard was
 * killed on purpose) and its data dir is refused to a second create (param_invalid naming
 * app_data_dir); every other data dir of the round is free again (a create on it succeeds);</li>
 * <li>no record is left for a dead rocker (a RUNNING record names a live listed guard; no spare or
 * half-built record of the dead server survives);</li>
 * <li>at the end, once every listed rocker is killed and the server stopped: no loop device on the
 * test's image, no mount under the test dir, no process with the state dir's key on its command line,
 * no cgroup under the test's own cgroup parent.</li>
 * </ul>
 * The scenario runs 3 times, each with a random seed printed as {@code ChaosIT seed=S}; the seed
 * decides the plan (how many creates, when each is sent, which are sent in two writes with a pause,
 * when the server is killed, whether a finished rocker's guard is SIGKILLed too, before or after the
 * server). {@code -Dchaos.seed=S} (or {@code S1,S2}) replays those seeds only. The kernel's timing is
 * not replayed, so a seed reproduces the plan, not necessarily the exact interleaving.
 * <p>
 * The client is the socket protocol itself (docs/protocol.md, version 2: ENTER, LIST, DESTROY), written
 * here: {@code rocker.server} is a bundle kept off this JVM's class path, and a {@code rocker run} JVM
 * per create costs ~2 s. The server runs with {@code -Dfelix.cm.dir} pointing at a ConfigAdmin dir of
 * the test's own that sets the engine's {@code cgroupParent} to a parent unique to the test, so that the
 * cgroup check sees only this test's rockers; {@code -Djava.io.tmpdir} keeps the framework storage that
 * a SIGKILLed launcher leaves in the test's dir.
 */
public class ChaosIT {
    private static final int ROUNDS = 3;
    private static final String GUARD_NAME = "rk[a-z2-7]{13}";
    private static final long DEADLINE_MS = 15_000;

    private Path work;
    private Path socket;
    private Path state;
    private String stateKey;
    private String cgroupParent;
    private Process server;
    private int serverStarts;
    /** Every guard name this test saw (responses, records, /proc), for the evidence. */
    private final Set<String> namesSeen = Collections.synchronizedSet(new TreeSet<>());
    /** What happened in the round, with the time since its start: printed, and part of a failure's evidence. */
    private final StringBuilder events = new StringBuilder();
    private long noteStart = System.nanoTime();

    @Before
    public void setUp() throws Exception {
        assertTrue("the launcher jar is built before the integration tests: " + Launcher.JAR, Files.isRegularFile(Launcher.JAR));
        work = WorkDirs.create(Path.of("/tmp"), "rocker-itest-chaos-");
        // a dir of its own: the socket's dir is hidden in every rocker (docs/security.md)
        socket = Files.createDirectory(work.resolve("sock")).resolve("rocker.sock");
        state = Files.createDirectory(work.resolve("state"));
        stateKey = fileKey(state);
        Files.createDirectories(work.resolve("jvmtmp"));
        cgroupParent = "rocker-chaos-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(4));
        Path cm = Files.createDirectories(work.resolve("cm").resolve("rocker"));
        // Felix ConfigAdmin's file store (felix.cm.dir): PID rocker.engine -> rocker/engine.config
        Files.writeString(cm.resolve("engine.config"),
                "service.pid=\"rocker.engine\"\ncgroupParent=\"" + cgroupParent + "\"\n");
    }

    @After
    public void tearDown() throws Exception {
        if (work == null) return;
        if (stateKey == null) {
            WorkDirs.deleteQuietly(work);
            return;
        }
        List<String> left = new ArrayList<>();
        try {
            killServer();
            // whatever is left of this state dir: guards first (their keepers then end by themselves),
            // then any keeper that did not
            for (boolean guards : new boolean[] {true, false}) {
                for (Proc p : processesWithKey(stateKey)) {
                    if (p.guard == guards) {
                        left.add(p.toString());
                        ProcessHandle.of(p.pid).ifPresent(ProcessHandle::destroyForcibly);
                    }
                }
                KernelView.eventually(() -> processesWithKey(stateKey).isEmpty());
            }
            KernelView.eventually(() -> KernelView.loopsOn(work + "/").isEmpty());
            for (String m : mountsUnder(work)) {
                left.add("mount " + m);
                new ProcessBuilder("umount", "-l", m).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
            }
            for (Path dir : cgroupDirs()) {
                left.addAll(removeCgroupTree(dir));
            }
        } finally {
            if (mountsUnder(work).isEmpty()) {
                WorkDirs.deleteQuietly(work);
            } else {
                System.out.println("ChaosIT: " + work + " kept: mounts remain under it " + mountsUnder(work));
            }
        }
        if (!left.isEmpty()) {
            System.out.println("ChaosIT cleanup had to remove: " + left);
        }
    }

    @Test
    public void round1() throws Exception {
        scenario(1);
    }

    @Test
    public void round2() throws Exception {
        scenario(2);
    }

    @Test
    public void round3() throws Exception {
        scenario(3);
    }

    /** The seed of round {@code round} (1-based): -Dchaos.seed's, else a new one; empty: skip the round. */
    private static Optional<Long> seed(int round) {
        String given = System.getProperty("chaos.seed", "").trim();
        if (given.isEmpty()) {
            return Optional.of(new SecureRandom().nextLong());
        }
        String[] seeds = given.split(",");
        return round <= seeds.length ? Optional.of(Long.parseLong(seeds[round - 1].trim())) : Optional.empty();
    }

    // ------------------------------------------------------------------------------------------------
    // the scenario

    /** What the seed decides. */
    static final class Plan {
        /** Kill-and-restart cycles per round: the second wave meets a server that adopted the first's rockers. */
        static final int WAVES = 2;
        final long seed;
        /** Rockers made (and answered) before the first wave. */
        final int settled;
        /** 0: none; 1: a settled rocker's guard is SIGKILLed before the first server kill; 2: right after it. */
        final int guardKill;
        final Wave[] waves = new Wave[WAVES];

        Plan(long seed) {
            this.seed = seed;
            Random r = new Random(seed);
            settled = 1 + r.nextInt(2);
            guardKill = r.nextInt(3);
            for (int w = 0; w < WAVES; w++) waves[w] = new Wave(r);
        }

        @Override
        public String toString() {
            StringBuilder b = new StringBuilder("settled=" + settled + " guardKill=" + (guardKill == 0 ? "none"
                    : guardKill == 1 ? "before-server-kill" : "after-server-kill"));
            for (int w = 0; w < WAVES; w++) b.append(" wave").append(w + 1).append("={").append(waves[w]).append('}');
            return b.toString();
        }
    }

    /** One wave: creates sent at their offsets (some in two writes with a pause), the server SIGKILLed at killMs. */
    static final class Wave {
        final int inFlight;
        final int[] offsetMs;
        final int[] splitPauseMs;
        final double[] splitAt;
        final int killMs;

        Wave(Random r) {
            inFlight = 6 + r.nextInt(3);
            offsetMs = new int[inFlight];
            splitPauseMs = new int[inFlight];
            splitAt = new double[inFlight];
            for (int i = 0; i < inFlight; i++) {
                offsetMs[i] = r.nextInt(81);
                // about one in four is sent in two writes with a pause: the kill may land mid-request
                splitPauseMs[i] = r.nextInt(4) == 0 ? 20 + r.nextInt(200) : 0;
                splitAt[i] = r.nextDouble();
            }
            // one start alone takes ~20-60 ms; 6-8 at once on 2 cores are answered ~30-300 ms after they were sent
            killMs = r.nextInt(301);
        }

        @Override
        public String toString() {
            StringBuilder b = new StringBuilder("creates=" + inFlight + " killAt=" + killMs + "ms sends=[");
            for (int i = 0; i < inFlight; i++) {
                b.append(i == 0 ? "" : " ").append(offsetMs[i]).append("ms");
                if (splitPauseMs[i] > 0) b.append("(split+").append(splitPauseMs[i]).append("ms)");
            }
            return b.append(']').toString();
        }
    }

    /** One create and what became of it. */
    final class Create implements Runnable {
        final String label;
        final Path dataDir;
        final Path execDir;
        final Path image;
        final int offsetMs;
        final int splitPauseMs;
        final double splitAt;
        final long t0;
        volatile long connectedAt;
        volatile long sentAt;
        volatile long answeredAt;
        volatile Wire.Result result;
        volatile String failure;
        volatile SocketChannel channel;

        /** A create sent at once, in one write, on {@code dataDir}. */
        Create(String label, Path image, Path dataDir) {
            this(label, image, dataDir, 0, 0, 0, System.nanoTime());
        }

        Create(String label, Path image, Path dataDir, int offsetMs, int splitPauseMs, double splitAt, long t0) {
            this.label = label;
            this.image = image;
            this.dataDir = dataDir;
            this.execDir = work.resolve("exec-" + label);
            this.offsetMs = offsetMs;
            this.splitPauseMs = splitPauseMs;
            this.splitAt = splitAt;
            this.t0 = t0;
        }

        @Override
        public void run() {
            try {
                long wait = t0 + TimeUnit.MILLISECONDS.toNanos(offsetMs) - System.nanoTime();
                if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
                byte[] frame = Wire.enter(image, execDir, dataDir);
                try (SocketChannel ch = Wire.connect(socket)) {
                    channel = ch;
                    connectedAt = System.nanoTime();
                    if (splitPauseMs > 0) {
                        int cut = 5 + (int) (splitAt * (frame.length - 6));
                        Wire.write(ch, frame, 0, cut);
                        Thread.sleep(splitPauseMs);
                        Wire.write(ch, frame, cut, frame.length - cut);
                    } else {
                        Wire.write(ch, frame, 0, frame.length);
                    }
                    sentAt = System.nanoTime();
                    Wire.Frame f = Wire.read(ch);
                    if (f == null) {
                        failure = "connection closed without an answer";
                    } else if (f.type != Wire.RESULT) {
                        failure = "unexpected frame type " + f.type;
                    } else {
                        result = Wire.result(f.body);
                        answeredAt = System.nanoTime();
                        if (!result.guardName.isEmpty()) namesSeen.add(result.guardName);
                    }
                }
            } catch (IOException | RuntimeException e) {
                failure = e.toString();
            } catch (InterruptedException e) {
                failure = "interrupted";
            }
        }

        private String at(String what, long when) {
            return when == 0 ? "" : ", " + what + " at " + TimeUnit.NANOSECONDS.toMillis(when - t0) + "ms";
        }

        boolean succeeded() {
            return result != null && result.errNo == 0;
        }

        /** Where this create was when the server was killed at {@code killAt} (nanoTime). */
        String phaseAt(long killAt) {
            if (answeredAt != 0 && answeredAt < killAt) return "answered";
            if (sentAt != 0 && sentAt < killAt) return "in-build";
            if (connectedAt != 0 && connectedAt < killAt) return "mid-request";
            return "not-sent";
        }

        @Override
        public String toString() {
            return "create " + label + " (data " + dataDir.getFileName() + ", +" + offsetMs + "ms"
                    + (splitPauseMs > 0 ? " split+" + splitPauseMs + "ms" : "") + at("sent", sentAt) + at("answered", answeredAt)
                    + "): " + (result != null ? result : failure != null ? failure : "(no outcome)");
        }
    }

    private void scenario(int round) throws Exception {
        Optional<Long> s = seed(round);
        Assume.assumeTrue("-Dchaos.seed names fewer rounds", s.isPresent());
        Plan plan = new Plan(s.get());
        System.out.println("ChaosIT seed=" + plan.seed + " (round " + round + " of " + ROUNDS + "; replay with -Dchaos.seed="
                + plan.seed + "): " + plan);
        long roundStart = System.nanoTime();
        noteStart = roundStart;
        Path image = Images.build(work, "chaos", Map.of("app.sh", "#!/bin/sh\nexec /bin/sleep 600\n"));
        List<String> problems = new ArrayList<>();

        startServer();
        note("server started");
        // every create of the round, in order; rockers answered well before any kill first
        List<Create> all = new ArrayList<>();
        for (int i = 0; i < plan.settled; i++) {
            Create c = new Create("s" + i, image, work.resolve("data-s" + i));
            c.run();
            assertTrue("a create without chaos succeeds: " + c + "\n" + evidence(), c.succeeded());
            all.add(c);
        }
        Create killedOnPurpose = plan.guardKill == 0 ? null : all.get(0);
        if (plan.guardKill == 1) killGuard(killedOnPurpose);

        int extra = 0;
        for (int w = 0; w < Plan.WAVES; w++) {
            all.addAll(wave(w + 1, plan.waves[w], image));
            if (w == 0 && plan.guardKill == 2) killGuard(killedOnPurpose);
            recordNames();

            // a new server on the same state dir reconciles
            Files.deleteIfExists(socket); // a SIGKILLed server cannot remove it
            startServer();
            note("server restarted: " + logLine(work.resolve("server-" + serverStarts + ".log"), "reconciled in"));
            long serverPid = server.pid();
            Map<String, Wire.Info> listed = list();
            problems.addAll(checkListing("after restart " + (w + 1), listed, all, killedOnPurpose, serverPid));

            // a listed rocker's data dir is refused to a second create; every other data dir is free
            for (Wire.Info i : listed.values()) {
                Create again = new Create("x" + extra++, image, Path.of(i.dataDir));
                again.run();
                if (again.result == null || again.result.errNo != 2 || !again.result.message.contains("app_data_dir")) {
                    problems.add("a second create on the data dir of " + i.name
                            + " was not refused with param_invalid naming app_data_dir: " + again);
                    all.add(again);
                }
            }
            Set<Path> dataDirs = new java.util.LinkedHashSet<>();
            all.forEach(c -> dataDirs.add(c.dataDir));
            for (Path d : dataDirs) {
                if (listed.values().stream().anyMatch(i -> i.dataDir.equals(d.toString()))) continue;
                Create again = new Create("x" + extra++, image, d);
                again.run();
                all.add(again);
                if (!again.succeeded()) problems.add("a data dir that no listed rocker holds is not free: " + again);
            }
            note("data dirs checked");
        }

        // every listed rocker is killable
        long serverPid = server.pid();
        Map<String, Wire.Info> before = list();
        for (Wire.Info i : before.values()) {
            long k0 = System.nanoTime();
            Wire.Result r = destroy(i.name);
            long kms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - k0);
            if (kms > 1000) note("kill " + i + " took " + kms + " ms: " + r);
            // a kill takes milliseconds; seconds mean the engine waited out its destroy timeout for something
            if (kms > 5000) problems.add("kill " + i.name + " took " + kms + " ms (the engine's log says why)");
            if (r.errNo != 0) {
                problems.add("kill " + i.name + " failed: " + r);
            } else if (!KernelView.eventually(() -> !KernelView.alive(i.guardPid))) {
                problems.add("kill " + i.name + " succeeded but guard pid " + i.guardPid + " lives");
            }
        }
        note("killed " + before.keySet());
        Map<String, Wire.Info> after = list();
        if (!after.isEmpty()) problems.add("still listed after killing every listed rocker: " + after.keySet());
        for (Proc p : processesWithKey(stateKey)) {
            // an image holder stays for its grace period after its last rocker (docs/engine.md, "Shared image mounts")
            if (p.guard && !isSpareOf(p, serverPid) && !isHolder(p)) problems.add("a guard lives after every listed rocker was killed: " + p
                    + " " + describeRecord(p.recordName()));
        }
        recordNames();

        long stopStart = System.nanoTime();
        stopServer();
        note("server stopped (SIGTERM) in " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopStart) + " ms");

        // nothing is left on the host
        if (!KernelView.eventually(() -> processesWithKey(stateKey).isEmpty())) {
            problems.add("processes with the state key " + stateKey + " on their command line: " + processesWithKey(stateKey));
        }
        if (!KernelView.eventually(() -> KernelView.loopsOn(work + "/").isEmpty())) {
            problems.add("loop devices on the test's files: " + KernelView.loopsOn(work + "/"));
        }
        if (!KernelView.eventually(() -> mountsUnder(work).isEmpty())) {
            problems.add("mounts under " + work + ": " + mountsUnder(work));
        }
        if (!KernelView.eventually(() -> cgroupsLeft().isEmpty())) {
            problems.add("cgroups left under the parent " + cgroupParent + ": " + cgroupsLeft());
        }
        records().forEach((name, p) -> {
            if ("RUNNING".equals(p.getProperty("state"))) problems.add("a RUNNING record is left: " + name + " " + p);
        });

        note("round took " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - roundStart) + " ms");
        System.out.println("ChaosIT seed=" + plan.seed + ":" + events);
        if (!problems.isEmpty()) {
            fail("ChaosIT seed=" + plan.seed + " (replay with -Dchaos.seed=" + plan.seed + "): " + problems.size() + " problem(s):\n  "
                    + String.join("\n  ", problems) + "\n" + evidence());
        }
    }

    /** Sends the wave's creates and SIGKILLs the server at its time; the creates, once their clients are done. */
    private List<Create> wave(int number, Wave wave, Path image) throws Exception {
        long t0 = System.nanoTime();
        List<Create> flight = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < wave.inFlight; i++) {
            String label = "w" + number + "-" + i;
            Create c = new Create(label, image, work.resolve("data-" + label), wave.offsetMs[i], wave.splitPauseMs[i], wave.splitAt[i], t0);
            flight.add(c);
            Thread t = new Thread(c, "chaos-create-" + label);
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
        long wait = t0 + TimeUnit.MILLISECONDS.toNanos(wave.killMs) - System.nanoTime();
        if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
        long killAt = System.nanoTime();
        server.destroyForcibly(); // SIGKILL
        assertTrue("the SIGKILLed server ends", server.waitFor(20, TimeUnit.SECONDS));
        for (Thread t : threads) {
            t.join(DEADLINE_MS);
        }
        for (Create c : flight) {
            if (c.channel != null && c.channel.isOpen()) c.channel.close();
        }
        StringBuilder phases = new StringBuilder();
        Map<String, Integer> count = new TreeMap<>();
        for (Create c : flight) {
            count.merge(c.phaseAt(killAt), 1, Integer::sum);
            phases.append("\n      ").append(c.phaseAt(killAt)).append(": ").append(c);
        }
        note("wave " + number + ": server SIGKILLed " + TimeUnit.NANOSECONDS.toMillis(killAt - t0) + " ms after the first send: "
                + count + phases);
        note("guards of the state dir after the kill: " + guardSummary());
        return flight;
    }

    /**
     * What the restarted server lists against the kernel and the records: every live guard is listed
     * (with its pid) and every listed one lives; no two share a data dir; every create answered SUCCESS
     * is listed on its data dir unless its guard was killed on purpose; no record is left for a dead rocker.
     */
    private List<String> checkListing(String when, Map<String, Wire.Info> listed, List<Create> all, Create killedOnPurpose,
            long serverPid) throws IOException {
        List<String> problems = new ArrayList<>();
        Map<String, Proc> live = new TreeMap<>();
        for (Proc p : processesWithKey(stateKey)) {
            if (p.guard && !isSpareOf(p, serverPid) && !isHolder(p)) live.put(p.recordName(), p);
        }
        note("listed " + when + ": " + listed.keySet() + "; live guards: " + live.keySet());
        List<String> otherFiles = otherRegistryFiles();
        if (!otherFiles.isEmpty()) note("other files in the registry dir: " + otherFiles);
        for (Proc p : live.values()) {
            Wire.Info i = listed.get(p.recordName());
            if (i == null) {
                problems.add(when + ": UNLISTED live guard " + p + " " + describeRecord(p.recordName()));
            } else if (i.guardPid != p.pid) {
                problems.add(when + ": guard " + p + " is listed with pid " + i.guardPid);
            }
        }
        for (Wire.Info i : listed.values()) {
            if (!live.containsKey(i.name)) problems.add(when + ": listed rocker " + i + " has no live guard of this state dir");
        }
        Map<String, String> byDataDir = new TreeMap<>();
        for (Wire.Info i : listed.values()) {
            String other = byDataDir.put(i.dataDir, i.name);
            if (other != null) problems.add(when + ": rockers " + other + " and " + i.name + " share the data dir " + i.dataDir);
        }
        for (Create c : all) {
            if (!c.succeeded()) continue;
            boolean killed = c == killedOnPurpose;
            Wire.Info i = listed.get(c.result.guardName);
            if (killed && i != null) problems.add(when + ": the rocker whose guard was SIGKILLed is still listed: " + i);
            if (!killed && i == null) problems.add(when + ": answered SUCCESS but not listed: " + c);
            if (!killed && i != null && !i.dataDir.equals(c.dataDir.toString())) {
                problems.add(when + ": listed with another data dir: " + i + " for " + c);
            }
        }
        for (String p : recordProblems(listed.keySet(), serverPid)) problems.add(when + ": " + p);
        return problems;
    }

    /** "NAME(comm pid)" of each guard of the state dir, with its record's state. */
    private String guardSummary() throws IOException {
        List<String> out = new ArrayList<>();
        Map<String, Properties> records = records();
        for (Proc p : processesWithKey(stateKey)) {
            if (!p.guard) continue;
            Properties r = records.get(p.recordName());
            out.add(p.recordName() + "(" + p.comm + " " + p.pid + ", " + (r == null ? "no record" : r.getProperty("state")) + ")");
        }
        return out.toString();
    }

    private static String logLine(Path log, String marker) throws IOException {
        for (String line : Files.readAllLines(log, StandardCharsets.ISO_8859_1)) {
            if (line.contains(marker)) return line.substring(line.indexOf(" - ") + 3);
        }
        return "(no '" + marker + "' in " + log.getFileName() + ")";
    }

    private void note(String s) {
        events.append("\n  [").append(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - noteStart)).append(" ms] ").append(s);
    }

    /** SIGKILLs the guard of a settled rocker, checked by its name (comm) first. */
    private void killGuard(Create c) throws Exception {
        int pid = c.result.guardPid;
        String comm = Files.readString(Path.of("/proc", Integer.toString(pid), "comm")).trim();
        assertEquals("guard pid " + pid + " is " + c.result.guardName, c.result.guardName, comm);
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        assertTrue("guard pid " + pid + " ends", KernelView.eventually(() -> !KernelView.alive(pid)));
        note("guard of " + c.result.guardName + " (pid " + pid + ") SIGKILLed on purpose");
    }

    private Wire.Result destroy(String name) throws IOException {
        try (SocketChannel ch = Wire.connect(socket)) {
            byte[] frame = Wire.frame(Wire.DESTROY, Wire.str(1, name));
            Wire.write(ch, frame, 0, frame.length);
            Wire.Frame f = Wire.read(ch);
            assertTrue("an answer to DESTROY", f != null && f.type == Wire.RESULT);
            return Wire.result(f.body);
        }
    }

    /** LIST (what {@code rocker ls --json} asks), by guard name. */
    private Map<String, Wire.Info> list() throws IOException {
        try (SocketChannel ch = Wire.connect(socket)) {
            byte[] frame = Wire.frame(Wire.LIST);
            Wire.write(ch, frame, 0, frame.length);
            Wire.Frame f = Wire.read(ch);
            assertTrue("an answer to LIST", f != null);
            if (f.type == Wire.RESULT) fail("LIST failed: " + Wire.result(f.body));
            assertEquals("INFOS", Wire.INFOS, f.type);
            Map<String, Wire.Info> out = new TreeMap<>();
            for (Wire.Info i : Wire.infos(f.body)) {
                out.put(i.name, i);
                namesSeen.add(i.name);
            }
            return out;
        }
    }

    // ------------------------------------------------------------------------------------------------
    // the server

    private void startServer() throws Exception {
        serverStarts++;
        Path log = work.resolve("server-" + serverStarts + ".log");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xss512k",
                "-Dfelix.cm.dir=" + work.resolve("cm"), "-Djava.io.tmpdir=" + work.resolve("jvmtmp"),
                "-jar", Launcher.JAR.toString(), "serve", "--socket", socket.toString(), "--state-dir", state.toString()));
        server = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        // ready once it says so: the socket file exists a moment before the socket listens (bind, then
        // listen), and a connection in between is refused
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < end && !serving(log) && server.isAlive()) {
            Thread.sleep(20);
        }
        assertTrue("the server listens on " + socket + ": " + Files.readString(log), serving(log) && Files.exists(socket));
    }

    private boolean serving(Path log) throws IOException {
        return Files.readString(log, StandardCharsets.ISO_8859_1).contains("rocker: serving on " + socket);
    }

    private void stopServer() throws Exception {
        Launcher.stop(server);
        server = null;
    }

    private void killServer() throws InterruptedException {
        if (server != null && server.isAlive()) {
            server.destroyForcibly();
            server.waitFor(20, TimeUnit.SECONDS);
        }
        server = null;
    }

    // ------------------------------------------------------------------------------------------------
    // the kernel's view

    /** A process with the state key on its command line: a guard (PID 1 of its pid namespace) or a keeper. */
    static final class Proc {
        final int pid;
        final String comm;
        final List<String> argv;
        final boolean guard;

        Proc(int pid, String comm, List<String> argv, boolean guard) {
            this.pid = pid;
            this.comm = comm;
            this.argv = argv;
            this.guard = guard;
        }

        /** RECORD of {@code rocker-guard NAME NAME FLAGS RECORD STATEKEY}. */
        String recordName() {
            return argv.size() == 6 ? argv.get(4) : "?";
        }

        @Override
        public String toString() {
            return (guard ? "guard " : "process ") + pid + " [" + comm + "] " + String.join(" ", argv);
        }
    }

    static List<Proc> processesWithKey(String key) throws IOException {
        List<Proc> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : s) {
                try {
                    byte[] raw = Files.readAllBytes(p.resolve("cmdline"));
                    if (raw.length == 0) continue;
                    String line = new String(raw, StandardCharsets.UTF_8);
                    if (line.endsWith("\0")) line = line.substring(0, line.length() - 1);
                    List<String> argv = List.of(line.split("\0", -1));
                    if (!argv.contains(key)) continue;
                    boolean pidOne = false;
                    for (String l : Files.readAllLines(p.resolve("status"))) {
                        if (l.startsWith("NSpid:")) {
                            String[] ids = l.substring(6).trim().split("\\s+");
                            pidOne = ids.length > 1 && ids[ids.length - 1].equals("1");
                        }
                    }
                    boolean guard = pidOne && argv.size() == 6 && argv.get(0).equals("rocker-guard") && argv.get(5).equals(key);
                    String comm = Files.readString(p.resolve("comm")).trim();
                    out.add(new Proc(Integer.parseInt(p.getFileName().toString()), comm, argv, guard));
                } catch (IOException | RuntimeException e) {
                    // gone meanwhile
                }
            }
        }
        return out;
    }

    /**
     * A spare of the live server (or a guard it is setting up): its record is SPARE or BUILDING and owned
     * by that server. A spare of the dead server does not count: reconciliation must have ended it.
     */
    private boolean isSpareOf(Proc p, long serverPid) {
        Properties r = records().get(p.recordName());
        return r != null && !"RUNNING".equals(r.getProperty("state")) && Long.toString(serverPid).equals(r.getProperty("owner_pid"));
    }

    /** An image holder (record HOLDER): not a rocker, never listed, any engine's to keep or release. */
    private boolean isHolder(Proc p) {
        Properties r = records().get(p.recordName());
        return r != null && "HOLDER".equals(r.getProperty("state")) && Integer.toString(p.pid).equals(r.getProperty("guard_pid"));
    }

    /** Files in the registry dir besides records and status sockets (temporary files of a write cut short). */
    private List<String> otherRegistryFiles() throws IOException {
        List<String> out = new ArrayList<>();
        Path dir = state.resolve("rockers");
        if (!Files.isDirectory(dir)) return out;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path f : s) {
                String n = f.getFileName().toString();
                if (!n.endsWith(".rocker") && !n.endsWith(".sock")) out.add(n);
            }
        }
        return out;
    }

    /** The records, by name (NAME.rocker), as their properties. */
    private Map<String, Properties> records() {
        Map<String, Properties> out = new TreeMap<>();
        Path dir = state.resolve("rockers");
        if (!Files.isDirectory(dir)) return out;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.rocker")) {
            for (Path f : s) {
                String n = f.getFileName().toString();
                Properties p = new Properties();
                try (var in = Files.newInputStream(f)) {
                    p.load(in);
                } catch (IOException e) {
                    continue; // removed meanwhile
                }
                out.put(n.substring(0, n.length() - ".rocker".length()), p);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return out;
    }

    private void recordNames() throws IOException {
        namesSeen.addAll(records().keySet());
        for (Proc p : processesWithKey(stateKey)) {
            if (p.recordName().matches(GUARD_NAME)) namesSeen.add(p.recordName());
        }
    }

    /**
     * Every RUNNING record names a live listed guard; a SPARE or BUILDING record belongs to the live
     * server; no record was put aside as unreadable.
     */
    private List<String> recordProblems(Set<String> listed, long serverPid) throws IOException {
        List<String> out = new ArrayList<>();
        Map<String, Proc> guards = new TreeMap<>();
        for (Proc p : processesWithKey(stateKey)) {
            if (p.guard) guards.put(p.recordName(), p);
        }
        for (Map.Entry<String, Properties> e : records().entrySet()) {
            String name = e.getKey();
            Properties p = e.getValue();
            String st = p.getProperty("state");
            if ("RUNNING".equals(st)) {
                Proc g = guards.get(name);
                if (g == null || !listed.contains(name) || !Integer.toString(g.pid).equals(p.getProperty("guard_pid"))) {
                    out.add("record of a dead or unlisted rocker: " + name + " " + p + " (guard: " + g + ")");
                }
            } else if ("HOLDER".equals(st)) {
                Proc g = guards.get(name);
                if (g == null || !Integer.toString(g.pid).equals(p.getProperty("guard_pid"))) {
                    out.add("HOLDER record without its live holder: " + name + " " + p);
                }
            } else if (!Long.toString(serverPid).equals(p.getProperty("owner_pid"))) {
                out.add(st + " record of an engine that is gone: " + name + " " + p + " (guard: " + guards.get(name) + ")");
            }
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(state.resolve("rockers"), "*.bad")) {
            for (Path f : s) out.add("unreadable record put aside: " + f + ": " + Files.readString(f));
        } catch (java.nio.file.NoSuchFileException e) {
            // no registry yet
        }
        return out;
    }

    private String describeRecord(String name) {
        Properties p = records().get(name);
        return p == null ? "(no record " + name + ".rocker)" : "(record: " + new TreeMap<>(p) + ")";
    }

    /** Mount points at or under {@code dir} in this (the host's) mount namespace. */
    static List<String> mountsUnder(Path dir) throws IOException {
        List<String> out = new ArrayList<>();
        String prefix = dir.toString();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String mp = line.split(" ")[4];
            if (mp.equals(prefix) || mp.startsWith(prefix + "/")) out.add(mp);
        }
        return out;
    }

    /** The test's cgroup parent in every cgroup hierarchy (v1 and v2) mounted here. */
    private List<Path> cgroupDirs() throws IOException {
        List<Path> out = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String type = line.substring(line.indexOf(" - ") + 3).split(" ")[0];
            if (type.equals("cgroup") || type.equals("cgroup2")) {
                out.add(Path.of(line.split(" ")[4]).resolve(cgroupParent));
            }
        }
        return out;
    }

    /** The rockers' cgroups (dirs) under the test's parent. */
    private List<String> cgroupsLeft() throws IOException {
        List<String> out = new ArrayList<>();
        for (Path dir : cgroupDirs()) {
            if (!Files.isDirectory(dir)) continue;
            try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, Files::isDirectory)) {
                s.forEach(d -> out.add(d.toString()));
            } catch (IOException e) {
                // removed meanwhile
            }
        }
        return out;
    }

    /** Removes a cgroup and the cgroups under it (empty ones; retried while they empty); what it removed. */
    private static List<String> removeCgroupTree(Path dir) throws Exception {
        List<String> removed = new ArrayList<>();
        if (!Files.isDirectory(dir)) return removed;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, Files::isDirectory)) {
            for (Path d : s) {
                removed.addAll(removeCgroupTree(d));
                removed.add("cgroup " + d);
            }
        }
        for (int i = 0; i < 100 && Files.isDirectory(dir); i++) {
            try {
                Files.delete(dir);
            } catch (IOException e) {
                Thread.sleep(20);
            }
        }
        return removed;
    }

    private String evidence() {
        StringBuilder b = new StringBuilder("--- evidence\nwork dir " + work + ", state key " + stateKey + ", cgroup parent "
                + cgroupParent + "\nevents:" + events + "\nnames seen: " + namesSeen + "\nrecords:");
        records().forEach((n, p) -> b.append("\n  ").append(n).append(' ').append(new TreeMap<>(p)));
        try {
            b.append("\nprocesses with the state key:");
            for (Proc p : processesWithKey(stateKey)) b.append("\n  ").append(p);
            b.append("\ncgroups: ").append(cgroupsLeft());
            b.append("\nloops: ").append(KernelView.loopsOn(work + "/")).append("\nmounts: ").append(mountsUnder(work));
            for (int i = 1; i <= serverStarts; i++) {
                Path log = work.resolve("server-" + i + ".log");
                b.append("\n--- server-").append(i).append(".log\n").append(Files.exists(log) ? Files.readString(log) : "(none)");
            }
        } catch (IOException e) {
            b.append("\n(").append(e).append(')');
        }
        return b.toString();
    }

    static String fileKey(Path p) throws IOException {
        Map<String, Object> a = Files.readAttributes(p, "unix:dev,ino");
        return a.get("dev") + ":" + a.get("ino");
    }

    // ------------------------------------------------------------------------------------------------
    // the socket protocol, version 2 (docs/protocol.md): just what this test sends and reads

    static final class Wire {
        static final int ENTER = 0x01;
        static final int DESTROY = 0x03;
        static final int LIST = 0x05;
        static final int RESULT = 0x81;
        static final int INFOS = 0x82;

        private Wire() {
        }

        static final class Frame {
            final int type;
            final byte[] body;

            Frame(int type, byte[] body) {
                this.type = type;
                this.body = body;
            }
        }

        static final class Result {
            final int errNo;
            final int appPid;
            final int guardPid;
            final String guardName;
            final String message;

            Result(int errNo, int appPid, int guardPid, String guardName, String message) {
                this.errNo = errNo;
                this.appPid = appPid;
                this.guardPid = guardPid;
                this.guardName = guardName == null ? "" : guardName;
                this.message = message == null ? "" : message;
            }

            @Override
            public String toString() {
                return "err_no " + errNo + " guard " + guardName + " pid " + guardPid + " app " + appPid + ": " + message;
            }
        }

        static final class Info {
            String name;
            int guardPid;
            int appPid;
            String dataDir;

            @Override
            public String toString() {
                return name + " (guard pid " + guardPid + ", app pid " + appPid + ", data " + dataDir + ")";
            }
        }

        static SocketChannel connect(Path socket) throws IOException {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                ch.connect(UnixDomainSocketAddress.of(socket));
                return ch;
            } catch (IOException e) {
                ch.close();
                throw e;
            }
        }

        static void write(SocketChannel ch, byte[] b, int off, int len) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap(b, off, len);
            while (buf.hasRemaining()) ch.write(buf);
        }

        /** The next frame, or null at the end of the stream before one. */
        static Frame read(SocketChannel ch) throws IOException {
            ByteBuffer head = ByteBuffer.allocate(5);
            while (head.hasRemaining()) {
                if (ch.read(head) < 0) {
                    if (head.position() == 0) return null;
                    throw new IOException("truncated frame header");
                }
            }
            head.flip();
            long len = head.getInt() & 0xFFFFFFFFL;
            int type = head.get() & 0xFF;
            if (len < 1 || len > (64 << 20)) throw new IOException("bad frame length " + len);
            ByteBuffer body = ByteBuffer.allocate((int) len - 1);
            while (body.hasRemaining()) {
                if (ch.read(body) < 0) throw new IOException("truncated frame body");
            }
            return new Frame(type, body.array());
        }

        static byte[] field(int tag, byte[] value) {
            ByteBuffer b = ByteBuffer.allocate(6 + value.length);
            b.putShort((short) tag).putInt(value.length).put(value);
            return b.array();
        }

        static byte[] str(int tag, String s) {
            return field(tag, s.getBytes(StandardCharsets.UTF_8));
        }

        static byte[] i32(int tag, int v) {
            return field(tag, ByteBuffer.allocate(4).putInt(v).array());
        }

        static byte[] bool(int tag, boolean v) {
            return field(tag, new byte[] {(byte) (v ? 1 : 0)});
        }

        static byte[] concat(byte[]... parts) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (byte[] p : parts) out.writeBytes(p);
            return out.toByteArray();
        }

        /** A request frame: length, type, version 2, fields. */
        static byte[] frame(int type, byte[]... fields) {
            byte[] body = concat(fields);
            ByteBuffer b = ByteBuffer.allocate(4 + 1 + 2 + body.length);
            b.putInt(1 + 2 + body.length).put((byte) type).putShort((short) 2).put(body);
            return b.array();
        }

        /** ENTER: uid/gid 1000, /etc overlaid, the image's app.sh (exec /bin/sleep 600), stdio discarded. */
        static byte[] enter(Path image, Path execDir, Path dataDir) {
            byte[] request = concat(i32(1, 0), i32(2, 1000), i32(3, 1000), str(5, image.toString()), str(6, execDir.toString()),
                    str(7, dataDir.toString()), str(8, "/etc"), bool(10, false), str(11, "host"), bool(12, false));
            byte[] discard = str(1, "discard");
            byte[] app = concat(str(1, "/bin/sh"), str(1, execDir.resolve("app.sh").toString()),
                    field(4, discard), field(5, discard), field(6, discard));
            return frame(ENTER, field(1, request), field(2, app));
        }

        /** The fields of a field list, by tag, in order (repeated tags keep every value). */
        static List<Map.Entry<Integer, byte[]>> fields(byte[] list) {
            List<Map.Entry<Integer, byte[]>> out = new ArrayList<>();
            ByteBuffer b = ByteBuffer.wrap(list);
            while (b.hasRemaining()) {
                int tag = b.getShort() & 0xFFFF;
                int len = b.getInt();
                byte[] v = new byte[len];
                b.get(v);
                out.add(Map.entry(tag, v));
            }
            return out;
        }

        static int asInt(byte[] v) {
            return ByteBuffer.wrap(v).getInt();
        }

        static String asStr(byte[] v) {
            return new String(v, StandardCharsets.UTF_8);
        }

        /** A RESULT in either layout: version 1 starts with 0x0000 or 0xFFFF (docs/protocol.md). */
        static Result result(byte[] body) {
            ByteBuffer b = ByteBuffer.wrap(body);
            int first = body.length >= 2 ? b.getShort(0) & 0xFFFF : 0;
            if (first == 0 || first == 0xFFFF) {
                int err = b.getInt();
                int app = b.getInt();
                int guard = b.getInt();
                String name = v1Str(b);
                String message = v1Str(b);
                return new Result(err, app, guard, name, message);
            }
            Map<Integer, byte[]> f = new LinkedHashMap<>();
            for (Map.Entry<Integer, byte[]> e : fields(body)) f.put(e.getKey(), e.getValue());
            return new Result(asInt(f.get(1)), f.containsKey(2) ? asInt(f.get(2)) : 0, f.containsKey(3) ? asInt(f.get(3)) : 0,
                    f.containsKey(4) ? asStr(f.get(4)) : null, f.containsKey(5) ? asStr(f.get(5)) : null);
        }

        private static String v1Str(ByteBuffer b) {
            int len = b.getInt();
            if (len < 0) return null;
            byte[] s = new byte[len];
            b.get(s);
            return new String(s, StandardCharsets.UTF_8);
        }

        static List<Info> infos(byte[] body) {
            List<Info> out = new ArrayList<>();
            for (Map.Entry<Integer, byte[]> e : fields(body)) {
                if (e.getKey() != 1) continue;
                Info i = new Info();
                for (Map.Entry<Integer, byte[]> f : fields(e.getValue())) {
                    switch (f.getKey()) {
                        case 1: i.name = asStr(f.getValue()); break;
                        case 2: i.guardPid = asInt(f.getValue()); break;
                        case 3: i.appPid = asInt(f.getValue()); break;
                        case 6:
                            for (Map.Entry<Integer, byte[]> r : fields(f.getValue())) {
                                if (r.getKey() == 7) i.dataDir = asStr(r.getValue());
                            }
                            break;
                        default: break;
                    }
                }
                out.add(i);
            }
            return out;
        }
    }
}
