package rocker.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import rocker.testsupport.Images;
import rocker.testsupport.KernelView;
import rocker.testsupport.WorkDirs;

/**
 * A server's whole process group is signalled, as a terminal (Ctrl-C: SIGINT; hang-up: SIGHUP) or a
 * service manager's final kill (SIGKILL) does: {@code rocker serve} runs through {@code ./rocker} as the
 * leader of a session and process group of its own ({@code setsid}), with the default dispositions of
 * INT, HUP and TERM whatever the test JVM ignores. After each stop every rocker's guard and keeper are
 * the very same live processes; the next server lists them; the last one destroys them, and nothing of
 * them is left (no guard, keeper, app, loop device or mount on the test's files).
 */
public class ProcessGroupStopIT {
    private static final Pattern GUARD_PID = Pattern.compile("\"guard_pid\":(\\d+)");
    private static final Pattern APP_PID = Pattern.compile("\"app_pid\":(\\d+)");
    /** A stop's generous bound (it takes well under a second; the machine may be busy). */
    private static final long STOP_BOUND_MILLIS = 10_000;

    private Path work;
    private Path socket;
    private Path state;
    private Path image;
    private RockerScript rocker;
    private Set<String> mountsBefore;
    private Process server;
    private int serverCount;
    private final List<Rocker> rockers = new ArrayList<>();

    /** A process as /proc/PID/stat shows it. */
    private record Proc(int pid, String name, char state, int ppid, int pgrp, int session, long start) {
        static Proc of(int pid) {
            try {
                String s = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
                String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
                return new Proc(pid, s.substring(s.indexOf('(') + 1, s.lastIndexOf(')')), f[0].charAt(0), Integer.parseInt(f[1]),
                        Integer.parseInt(f[2]), Integer.parseInt(f[3]), Long.parseLong(f[19]));
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }

        /** The very same process is still there (same pid and start time), and not a zombie. */
        boolean alive() {
            Proc now = of(pid);
            return now != null && now.start == start && now.state != 'Z' && now.state != 'X';
        }
    }

    /** A rocker as made: its guard, keeper (the guard's parent) and app. */
    private record Rocker(String name, Proc guard, Proc keeper, Proc app) {
        void assertAlive(String when) {
            assertTrue(when + ": guard " + name + " " + guard + " alive: " + Proc.of(guard.pid), guard.alive());
            assertEquals(when + ": the guard still carries its name", name, Proc.of(guard.pid).name);
            assertTrue(when + ": keeper " + keeper + " of " + name + " alive: " + Proc.of(keeper.pid), keeper.alive());
            assertEquals(when + ": the keeper is still the guard's parent", keeper.pid, Proc.of(guard.pid).ppid);
            assertTrue(when + ": app " + app + " of " + name + " alive: " + Proc.of(app.pid), app.alive());
        }

        boolean anyAlive() {
            return guard.alive() || keeper.alive() || app.alive();
        }
    }

    @Before
    public void setUp() throws Exception {
        assertTrue("the launcher jar is built before the integration tests: " + Launcher.JAR, Files.isRegularFile(Launcher.JAR));
        mountsBefore = KernelView.mountPoints();
        // the apps run as uid 1000 and must reach their exec dirs below it (0755)
        work = WorkDirs.create(Path.of("/tmp"), "rocker-itest-pgroup-");
        // a dir of its own: the socket's dir is hidden in every rocker (docs/security.md)
        socket = Files.createDirectory(work.resolve("sock")).resolve("rocker.sock");
        state = work.resolve("state");
        rocker = new RockerScript(Files.createDirectory(work.resolve("tmp")));
        image = Images.build(work, "pgroup", Map.of("sleep.sh", "#!/bin/sh\nexec sleep 600\n"));
    }

    @After
    public void tearDown() throws Exception {
        List<Throwable> problems = new ArrayList<>();
        try {
            if (server != null && server.isAlive()) {
                server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            if (rockers.stream().anyMatch(Rocker::anyAlive)) {
                // what a failed test left: destroyed through a server on our state dir, else through the kernel
                try {
                    startServer();
                    for (Rocker r : rockers) {
                        if (r.guard.alive()) {
                            rocker.run(work, "kill", "--socket", socket.toString(), r.name);
                        }
                    }
                    stopServer("TERM");
                } catch (Throwable t) {
                    problems.add(t);
                    if (server != null && server.isAlive()) {
                        server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    }
                }
                for (Rocker r : rockers) {
                    if (r.guard.alive()) {
                        // killing the guard tears the whole rocker down
                        ProcessHandle.of(r.guard.pid).ifPresent(ProcessHandle::destroyForcibly);
                    }
                }
                KernelView.eventually(() -> rockers.stream().noneMatch(Rocker::anyAlive));
            }
        } finally {
            KernelView.eventually(() -> KernelView.loopsOn(work.toString()).isEmpty());
            WorkDirs.deleteQuietly(work);
        }
        if (!problems.isEmpty()) {
            throw new AssertionError("clean-up", problems.get(0));
        }
    }

    /** Starts `setsid env --default-signal=INT,HUP,TERM ./rocker serve`: the leader of its own session and group. */
    private void startServer() throws Exception {
        serverCount++;
        server = rocker.serve(List.of("setsid", "env", "--default-signal=INT,HUP,TERM"), socket, state,
                work.resolve("server" + serverCount + ".log"));
        Proc p = Proc.of((int) server.pid());
        assertTrue("the server runs: " + log(), p != null && "java".equals(p.name));
        assertEquals("the server leads its process group", p.pid, p.pgrp);
        assertEquals("the server leads its session", p.pid, p.session);
    }

    private String log() throws IOException {
        Path l = work.resolve("server" + serverCount + ".log");
        return Files.exists(l) ? Files.readString(l) : "";
    }

    /** Sends {@code signal} to the server's whole process group; returns how long the server took to end. */
    private long signalGroup(String signal) throws Exception {
        long pgid = server.pid();
        long start = System.nanoTime();
        Process kill = new ProcessBuilder("kill", "-s", signal, "--", "-" + pgid).redirectErrorStream(true).start();
        String out = new String(kill.getInputStream().readAllBytes());
        assertEquals("kill -s " + signal + " -- -" + pgid + ": " + out, 0, kill.waitFor());
        assertTrue("the server ends within " + STOP_BOUND_MILLIS + " ms of SIG" + signal + " to its group: " + log(),
                server.waitFor(STOP_BOUND_MILLIS, TimeUnit.MILLISECONDS));
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        System.err.println("ProcessGroupStopIT: the server ended " + millis + " ms after SIG" + signal + " to its process group");
        return millis;
    }

    private void stopServer(String signal) throws Exception {
        if (server != null && server.isAlive()) {
            signalGroup(signal);
        }
        server = null;
    }

    private Rocker start(String name) throws Exception {
        Launcher.Run r = rocker.run(work, "run", "--socket", socket.toString(), "--pkg", image.toString(),
                "--exec-dir", work.resolve("exec-" + name).toString(), "--data-dir", work.resolve("data-" + name).toString(),
                "--overlay", "/etc", "--uid", "1000", "--gid", "1000", "--json", "--", "/bin/sh", work.resolve("exec-" + name) + "/sleep.sh");
        assertEquals(r.toString(), 0, r.code());
        Matcher n = Launcher.NAME.matcher(r.out());
        Matcher g = GUARD_PID.matcher(r.out());
        Matcher a = APP_PID.matcher(r.out());
        assertTrue(r.out(), n.find() && g.find() && a.find());
        Proc guard = Proc.of(Integer.parseInt(g.group(1)));
        Proc app = Proc.of(Integer.parseInt(a.group(1)));
        assertTrue(r.out(), guard != null && app != null);
        Proc keeper = Proc.of(guard.ppid);
        assertTrue("the guard's parent " + keeper + " is its keeper", keeper != null && "rocker-keeper".equals(keeper.name));
        Rocker made = new Rocker(n.group(1), guard, keeper, app);
        rockers.add(made);
        // a rocker shares neither the server's session nor its process group
        Proc srv = Proc.of((int) server.pid());
        for (Proc p : List.of(keeper, guard)) {
            assertNotEquals(p + " is in a session of its own", srv.session, p.session);
            assertNotEquals(p + " is in a process group of its own", srv.pgrp, p.pgrp);
        }
        return made;
    }

    private Set<String> listed() throws Exception {
        Launcher.Run ls = rocker.run(work, "ls", "--socket", socket.toString(), "--json");
        assertEquals(ls.toString(), 0, ls.code());
        Set<String> names = new TreeSet<>();
        for (Matcher m = Launcher.NAME.matcher(ls.out()); m.find();) {
            names.add(m.group(1));
        }
        return names;
    }

    private Set<String> names() {
        Set<String> out = new TreeSet<>();
        rockers.forEach(r -> out.add(r.name));
        return out;
    }

    private void assertAllAlive(String when) {
        for (Rocker r : rockers) {
            r.assertAlive(when);
        }
        assertFalse(when + ": the image is still mounted (its loop device)", loopsOnImage().isEmpty());
    }

    private Set<String> loopsOnImage() {
        try {
            return KernelView.loopsOn(image.toString());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    public void rockersOutliveSigintSighupAndSigkillOfTheServersProcessGroup() throws Exception {
        startServer();
        start("a");
        start("b");
        start("c");
        assertEquals(names(), listed());
        assertAllAlive("before any stop");

        // Ctrl-C in the server's terminal
        stopAndCheck("INT", 130, true);
        startServer();
        assertEquals("the second server lists them", names(), listed());

        // the terminal hangs up
        stopAndCheck("HUP", 129, true);
        startServer();
        assertEquals("the third server lists them", names(), listed());

        // a service manager's final kill of the group
        stopAndCheck("KILL", 137, false);
        startServer();
        assertEquals("the fourth server lists them", names(), listed());
        assertEquals("the fourth server's start removed the killed one's private temp dir", 1, rocker.tmpEntries().size());

        // the last server destroys them all: nothing of them is left
        for (Rocker r : rockers) {
            Launcher.Run killed = rocker.run(work, "kill", "--socket", socket.toString(), r.name);
            assertEquals(killed.toString(), 0, killed.code());
        }
        assertEquals(Set.of(), listed());
        assertTrue("no guard, keeper or app is left", KernelView.eventually(() -> rockers.stream().noneMatch(Rocker::anyAlive)));
        // processes whose mounts show our exec or data dirs (a spare guard of the live server may show
        // the hidden socket dir, which is ours too, and is no rocker)
        String[] ours = {work.resolve("exec-").toString(), work.resolve("data-").toString()};
        assertTrue("no process of a rocker is left: " + KernelView.rockerProcessesMentioning(ours),
                KernelView.eventually(() -> KernelView.rockerProcessesMentioning(ours).isEmpty()));
        // the image's shared mount outlives its last rocker for the server's grace period; an orderly stop releases it
        stopServer("TERM");
        assertTrue("no loop device on the image: " + loopsOnImage(), KernelView.eventually(() -> loopsOnImage().isEmpty()));
        assertTrue("no loop device on the test's files", KernelView.eventually(() -> KernelView.loopsOn(work.toString()).isEmpty()));
        assertEquals("the host's mounts are unchanged", mountsBefore, KernelView.mountPoints());
        assertEquals("every launcher removed its private temp dir", Set.of(), rocker.tmpEntries());
    }

    /** Signals the server's group, checks its exit status and that every rocker lives on untouched. */
    private void stopAndCheck(String signal, int exitCode, boolean orderly) throws Exception {
        Path serverTmp = RockerScript.privateTmpOf(server.pid()).orElseThrow();
        signalGroup(signal);
        assertEquals("exit status after SIG" + signal + ": " + log(), exitCode, server.exitValue());
        server = null;
        if (orderly) {
            assertFalse("an orderly stop removes the socket file", Files.exists(socket, LinkOption.NOFOLLOW_LINKS));
            assertFalse("an orderly stop removes the JVM's private temp dir", Files.exists(serverTmp, LinkOption.NOFOLLOW_LINKS));
        } else {
            assertTrue("a killed JVM leaves its private temp dir, until the next start", Files.isDirectory(serverTmp, LinkOption.NOFOLLOW_LINKS));
        }
        assertAllAlive("after SIG" + signal + " to the server's process group");
    }
}
