package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.Rule;
import org.junit.Test;

import rocker.api.RockerApp;
import rocker.api.RockerError;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.testsupport.Images;
import rocker.testsupport.KernelView;

/** Every bad input and every failing step gets its code and leaves nothing behind. */
public class FailureTest {
    @Rule
    public final EngineFixture fx = new EngineFixture();

    private Path image() throws Exception {
        return Images.build(fx.work, "f", Map.of("run.sh", "#!/bin/sh\nexec sleep 1000\n"));
    }

    /** Runs a request that must fail with {@code error}, then checks nothing was left. */
    private RockerResult refused(RockerRequest request, RockerApp app, RockerError error, String messagePart) throws Exception {
        List<Integer> before = childNamespaceProcesses();
        RockerResult r = fx.engine.enterRocker(request, app);
        assertEquals(r.toString(), error, r.error());
        assertTrue(r.message(), r.message().contains(messagePart));
        assertEquals("", r.guardName());
        assertEquals(0, r.guardPid());
        assertTrue(fx.engine.list().isEmpty());
        assertTrue("no process left in a rocker", KernelView.eventually(EngineFixture.SETTLE, () -> childNamespaceProcesses().equals(before)));
        return r;
    }

    /**
     * The rocker processes this JVM is responsible for: its keepers (our children) and their guards.
     * Other processes in child pid namespaces on the machine are none of this test's business.
     */
    private static List<Integer> childNamespaceProcesses() throws Exception {
        int self = (int) ProcessHandle.current().pid();
        List<Integer> keepers = new java.util.ArrayList<>();
        List<Integer> all = new java.util.ArrayList<>();
        try (var s = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : s) {
                int pid = Integer.parseInt(p.getFileName().toString());
                ProcStat.read(pid).filter(st -> st.ppid == self && st.name.equals("rocker-keeper")).ifPresent(st -> keepers.add(pid));
            }
        }
        all.addAll(keepers);
        try (var s = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : s) {
                int pid = Integer.parseInt(p.getFileName().toString());
                ProcStat.read(pid).filter(st -> keepers.contains(st.ppid)).ifPresent(st -> all.add(pid));
            }
        }
        java.util.Collections.sort(all);
        return all;
    }

    private RockerApp app(String data) {
        return RockerApp.of("/bin/sh", fx.work.resolve("exec-" + data) + "/run.sh");
    }

    @Test
    public void invalidRequestsChangeNothing() throws Exception {
        Path img = image();
        refused(fx.request(img, "p").execDir("relative").build(), app("p"), RockerError.PARAM_INVALID, "app_exec_dir 'relative'");
        refused(fx.request(img, "p", "/proc").build(), app("p"), RockerError.PARAM_INVALID, "app_overlay_dirs '/proc'");
        refused(fx.request(img, "p").build(), RockerApp.of(""), RockerError.PARAM_INVALID, "command");
        refused(null, app("p"), RockerError.PARAM_INVALID, "request");
        assertFalse("the data dir was not created", Files.exists(fx.work.resolve("data-p")));
    }

    @Test
    public void hostChecksChangeNothing() throws Exception {
        Path img = image();
        refused(fx.request(fx.work.resolve("missing.squashfs"), "h").build(), app("h"), RockerError.PARAM_INVALID,
                "app_pkg_path '" + fx.work.resolve("missing.squashfs") + "': does not exist");
        Path notSquash = fx.work.resolve("not.squashfs");
        Files.writeString(notSquash, "just text");
        refused(fx.request(notSquash, "h").build(), app("h"), RockerError.PARAM_INVALID, "is not a squashfs image");
        // a file where the exec dir should be, where the rocker sees the host (/tmp is its own)
        Path file = Files.createTempFile(Path.of("/var/tmp"), "rocker-test-exec-", ".file");
        try {
            refused(fx.request(img, "h").execDir(file.toString()).build(), app("h"), RockerError.PARAM_INVALID,
                    "app_exec_dir '" + file + "': " + file + " is not a dir");
        } finally {
            Files.delete(file);
        }
        refused(fx.request(img, "h", "/no-such-dir-here").build(), app("h"), RockerError.PARAM_INVALID,
                "app_overlay_dirs '/no-such-dir-here'");
        assertFalse(Files.exists(fx.work.resolve("data-h")));
    }

    @Test
    public void aCorruptImageFailsTheBuildAndFreesTheLoopDevice() throws Exception {
        Path bad = Images.corrupt(fx.work, "corrupt");
        refused(fx.request(bad, "c", "/etc").build(), app("c"), RockerError.BUILD_ROCKER_FAILED, "cannot mount the image");
        assertTrue(KernelView.eventually(EngineFixture.SETTLE, () -> !KernelView.loopBackingFiles().toString().contains(bad.toString())));
        assertFalse("an empty data dir made for it is removed again: " + tree(fx.work.resolve("data-c")), Files.exists(fx.work.resolve("data-c")));
    }

    @Test
    public void appFailuresGetTheirCodes() throws Exception {
        Path img = image();
        refused(fx.request(img, "e").build(), RockerApp.of("/no/such/program"), RockerError.APP_EXEC_FAILED,
                "could not execute the command '/no/such/program'");
        refused(fx.request(img, "e").build(), RockerApp.builder().command("/bin/true").workDir("/no/such/dir").build(),
                RockerError.ENTER_ROCKER_FAILED, "could not change to the working dir /no/such/dir");
        refused(fx.request(img, "e").build(), RockerApp.of("/dev/null"), RockerError.APP_EXEC_FAILED, "Permission denied");
    }

    @Test
    public void aDataDirInUseByAnotherRockerIsRefused() throws Exception {
        Path img = image();
        RockerResult first = fx.engine.enterRocker(fx.request(img, "busy", "/etc").build(), app("busy"));
        assertEquals(first.toString(), RockerError.SUCCESS, first.error());
        List<Integer> before = childNamespaceProcesses();
        RockerResult second = fx.engine.enterRocker(fx.request(img, "busy", "/etc").execDir(fx.work.resolve("exec-busy2").toString()).build(),
                app("busy"));
        assertEquals(second.toString(), RockerError.PARAM_INVALID, second.error());
        assertTrue(second.message(), second.message().contains("app_data_dir '" + fx.work.resolve("data-busy") + "': is in use by rocker "
                + first.guardName()));
        assertTrue(KernelView.eventually(EngineFixture.SETTLE, () -> childNamespaceProcesses().equals(before)));
        assertEquals(1, fx.engine.list().size());
        assertTrue("the first rocker is unharmed", KernelView.alive(first.appPid()));
    }

    @Test
    public void aMissingGuardIsASystemError() throws Exception {
        Path img = image();
        fx.engine.close();
        fx.engine = fx.engine(() -> fx.work.resolve("no-guard").toString(), 0);
        refused(fx.request(img, "g").build(), app("g"), RockerError.BUILD_ROCKER_FAILED, "cannot start the guard");
    }

    private static String tree(Path root) throws java.io.IOException {
        if (!Files.exists(root)) return "(gone)";
        try (var s = Files.walk(root)) {
            return s.map(Path::toString).collect(java.util.stream.Collectors.joining(" "));
        }
    }
}
