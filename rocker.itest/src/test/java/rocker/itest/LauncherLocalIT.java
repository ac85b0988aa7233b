package rocker.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.stream.Stream;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import rocker.testsupport.Images;
import rocker.testsupport.KernelView;
import rocker.testsupport.WorkDirs;

/**
 * Client commands with {@code --local} in the launcher ({@code java -jar rocker.jar}), each with an engine
 * of its own on a state dir of this test ({@code --state-dir}): a one-shot engine makes no spares, and it
 * is stopped before its JVM ends. So a {@code run --local} leaves its rocker and its image's holder and
 * nothing else, and a {@code kill --local} of an image's last rocker releases the image's shared mount
 * (holder, loop device) when no other engine lives on the state dir; beside a live server it leaves the
 * server's idle holder to the server's grace. Real processes and a real image.
 */
public class LauncherLocalIT {
    private Path work;
    private Path state;
    private Path image;
    private Launcher.Server server;
    /** The rockers this test made and did not kill yet. */
    private final List<String> made = new ArrayList<>();

    @Before
    public void setUp() throws Exception {
        assertTrue("the launcher jar is built before the integration tests: " + Launcher.JAR, Files.isRegularFile(Launcher.JAR));
        work = WorkDirs.create(Path.of("/tmp"), "rocker-itest-local-");
        state = work.resolve("state");
        image = Images.build(work, "local", Map.of("hello.sh", "#!/bin/sh\necho hello\n"));
        Path socket = Files.createDirectories(work.resolve("sock")).resolve("rocker.sock");
        server = new Launcher.Server(socket, state, work.resolve("server.log"));
    }

    @After
    public void tearDown() throws Exception {
        if (work == null) return;
        try {
            if (server != null) server.stop();
            // what a failed test left: the rockers on its state dir, then (this state dir's last engine releases
            // the shared mounts nobody uses when it stops) its image's mount
            if (Files.isDirectory(state)) {
                Launcher.Run left = local("ls", "--json");
                for (Matcher m = Launcher.NAME.matcher(left.out()); m.find();) made.add(m.group(1));
                for (String n : new TreeSet<>(made)) local("kill", n);
                local("ls");
            }
            // and if what is tested failed: its processes killed (their namespaces, mounts and loop devices go with them)
            if (Files.isDirectory(state) && !processes().isEmpty()) {
                for (String p : processes()) new ProcessBuilder("kill", "-9", p.substring(0, p.indexOf(':'))).start().waitFor();
                KernelView.eventually(() -> processes().isEmpty() && KernelView.loopsOn(image.toString()).isEmpty());
            }
        } finally {
            WorkDirs.deleteQuietly(work);
        }
    }

    /** {@code rocker ARGS --local --state-dir STATE [OPERANDS]}: the options go right after the command. */
    private Launcher.Run local(String command, String... rest) throws Exception {
        List<String> args = new ArrayList<>(List.of(command, "--local", "--state-dir", state.toString()));
        args.addAll(List.of(rest));
        return Launcher.run(work, Launcher.command(args.toArray(new String[0])));
    }

    private String runSleeper(String... target) throws Exception {
        List<String> args = new ArrayList<>(List.of(target));
        args.addAll(List.of("--pkg", image.toString(), "--exec-dir", work.resolve("exec").toString(), "--data-dir",
                work.resolve("data").toString(), "--overlay", "/etc", "--uid", "1000", "--gid", "1000", "--json", "--", "/bin/sleep", "1000"));
        Launcher.Run run = Launcher.run(work, Launcher.command(args.toArray(new String[0])));
        assertEquals(run.toString(), 0, run.code());
        Matcher m = Launcher.NAME.matcher(run.out());
        assertTrue(run.toString(), m.find());
        made.add(m.group(1));
        return m.group(1);
    }

    @Test
    public void aCommandLineWithoutAUtf8LocaleKeepsItsNonAsciiPaths() throws Exception {
        // ./rocker (the script) with no locale at all, as a service manager may start it, and with a UTF-8 LANG whose
        // locale is not installed (this kind of machine has C.UTF-8 only); the name's bytes are made by the shell
        // (u-umlaut in UTF-8), as this JVM's own locale may be ASCII too
        Path script = Launcher.JAR.getParent().getParent().getParent().resolve("rocker");
        for (String lang : new String[] {null, "xx_YY.UTF-8"}) {
            ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", "u=$(printf '\\303\\274'); exec \"$0\" run --local --state-dir \"$1\""
                    + " --pkg \"$2\" --exec-dir \"$3/exec\" --data-dir \"$3/data-$u\" --overlay /etc --rm --wait -- /bin/sh \"$3/exec/hello.sh\"",
                    script.toString(), state.toString(), image.toString(), work.toString());
            for (String v : List.of("LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE")) pb.environment().remove(v);
            if (lang != null) pb.environment().put("LANG", lang);
            try {
                Launcher.Run run = Launcher.run(work, pb);
                assertEquals(lang + ": " + run, 0, run.code());
                assertEquals(run.toString(), "hello\n", run.out());
                Launcher.Run ls = Launcher.run(work, new ProcessBuilder("/bin/ls", "-1", "--", work.toString()));
                // the output's bytes as ISO-8859-1: the UTF-8 of u-umlaut (C3 BC) is "\u00c3\u00bc" there
                assertTrue(lang + ": the data dir has the name's UTF-8 bytes: " + ls.out(), ("\n" + ls.out()).contains("\ndata-\u00c3\u00bc\n"));
            } finally {
                // the work dir's removal (java.nio) cannot name it in a JVM whose locale is ASCII
                new ProcessBuilder("/bin/sh", "-c", "rm -rf -- \"$1\"/data-*", "sh", work.toString()).inheritIO().start().waitFor();
            }
        }
    }

    @Test
    public void aOneShotEngineLeavesItsRockerAndItsImageMountAndReleasesTheMountWithTheLastRocker() throws Exception {
        String name = runSleeper("run", "--local", "--state-dir", state.toString());
        assertFalse("the image is mounted while its rocker lives", KernelView.loopsOn(image.toString()).isEmpty());
        List<String> records = records();
        assertEquals("the rocker's record and its socket, and one image holder's record; no spare's: " + records, 3, records.size());
        assertTrue(records.toString(), records.containsAll(List.of(name + ".rocker", name + ".sock")));
        String holder = records.stream().filter(r -> !r.startsWith(name)).findFirst().orElseThrow();
        assertTrue(holder, Files.readString(state.resolve("rockers").resolve(holder)).contains("state=HOLDER"));
        String holderName = holder.substring(0, holder.length() - ".rocker".length());
        for (String p : processes()) {
            assertTrue("every process of the state dir is the rocker's or the holder's (no spare): " + processes(),
                    p.contains(" " + name + " ") || p.contains(" " + holderName + " "));
        }

        Launcher.Run kill = local("kill", name);
        assertEquals(kill.toString(), 0, kill.code());
        assertEquals(kill.toString(), name + "\n", kill.out());
        made.remove(name);
        assertTrue("no loop device of the image is left once its last rocker was killed: " + KernelView.loopsOn(image.toString()),
                KernelView.eventually(() -> KernelView.loopsOn(image.toString()).isEmpty()));
        assertEquals("no record is left", List.of(), records());
        assertTrue("no process of the state dir is left: " + processes(), KernelView.eventually(() -> processes().isEmpty()));
        Launcher.Run ls = local("ls", "--json");
        assertEquals(ls.toString(), 0, ls.code());
        assertEquals(ls.toString(), "[]\n", ls.out());
    }

    @Test
    public void aOneShotEngineBesideALiveServerLeavesTheServersIdleImageMountToIt() throws Exception {
        server.start();
        String socket = work.resolve("sock").resolve("rocker.sock").toString();
        String name = runSleeper("run", "--socket", socket);
        Launcher.Run kill = Launcher.run(work, Launcher.command("kill", "--socket", socket, name));
        assertEquals(kill.toString(), 0, kill.code());
        made.remove(name);
        assertFalse("the server keeps the image's mount for its grace (60 s)", KernelView.loopsOn(image.toString()).isEmpty());

        Launcher.Run ls = local("ls", "--json");
        assertEquals(ls.toString(), 0, ls.code());
        assertEquals(ls.toString(), "[]\n", ls.out());
        assertFalse("a one-shot engine that stops beside a live server leaves the server's idle holder to it",
                KernelView.loopsOn(image.toString()).isEmpty());
        assertEquals("the holder's record stays (beside the server's spares'): " + records(), 1, holders());

        server.stop();
        assertTrue("the server, the last engine, releases the image's mount when it stops: " + KernelView.loopsOn(image.toString()),
                KernelView.eventually(() -> KernelView.loopsOn(image.toString()).isEmpty()));
        assertEquals("no record is left", List.of(), records());
        assertTrue("no process of the state dir is left: " + processes(), KernelView.eventually(() -> processes().isEmpty()));
    }

    /**
     * A rocker that a one-shot engine made beside a server is not the server's to watch: when another
     * one-shot engine kills it, the server still finds its image's holder idle within its periodic look
     * (30 s) and releases it after its grace (here none).
     */
    @Test
    public void aServerReleasesTheIdleMountOfALocalRockerKilledBesideIt() throws Exception {
        Path socket = work.resolve("sock").resolve("rocker.sock");
        Process graceless = Launcher.serve(socket, state, work.resolve("graceless.log"), "--image-grace", "0");
        try {
            String name = runSleeper("run", "--local", "--state-dir", state.toString());
            Launcher.Run kill = local("kill", name);
            assertEquals(kill.toString(), 0, kill.code());
            made.remove(name);
            assertEquals("the one-shot engine left the idle holder to the live server", 1, holders());
            assertTrue("the server released it within its periodic look: " + KernelView.loopsOn(image.toString()),
                    KernelView.eventually(java.time.Duration.ofSeconds(45), () -> KernelView.loopsOn(image.toString()).isEmpty()
                            && holders() == 0));
        } finally {
            Launcher.stop(graceless);
        }
    }

    /** The names in the state dir's registry. */
    private List<String> records() throws IOException {
        Path dir = state.resolve("rockers");
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return new ArrayList<>(new TreeSet<>(s.map(p -> p.getFileName().toString()).toList()));
        }
    }

    /** How many records of the registry are image holders'. */
    private long holders() throws IOException {
        long n = 0;
        for (String r : records()) {
            try {
                if (r.endsWith(".rocker") && Files.readString(state.resolve("rockers").resolve(r)).contains("state=HOLDER")) n++;
            } catch (java.nio.file.NoSuchFileException e) {
                // removed since the listing: not a holder any more
            }
        }
        return n;
    }

    /** The command lines of the processes of this state dir (keepers, guards: their last argument is its dev:ino). */
    private List<String> processes() throws IOException {
        Map<String, Object> a = Files.readAttributes(state, "unix:dev,ino");
        String key = " " + a.get("dev") + ":" + a.get("ino");
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("/proc"))) {
            for (Path p : s.filter(p -> p.getFileName().toString().matches("[0-9]+")).toList()) {
                try {
                    String cmd = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.ISO_8859_1).replace('\0', ' ').trim();
                    if ((cmd + " ").contains(key + " ")) out.add(p.getFileName() + ": " + cmd + " ");
                } catch (IOException e) {
                    // gone meanwhile
                }
            }
        }
        return out;
    }
}
