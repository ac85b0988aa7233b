package rocker.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;

import rocker.api.RockerApp;
import rocker.api.RockerClient;
import rocker.api.RockerError;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.api.Stdio;
import rocker.testsupport.Apps;
import rocker.testsupport.Images;
import rocker.testsupport.KernelView;
import rocker.testsupport.WorkDirs;

/**
 * Scenarios 1-3 through the RockerClient service of the engine bundle in Felix: the service and its
 * wiring, an app from a squashfs image, the seed's example as written, isolation as the host sees it,
 * and the error matrix with the host unchanged after every refusal.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ServiceIT {
    @Rule
    public final Rig rig = new Rig();

    @Configuration
    public Option[] config() {
        return RockerOptions.framework("ServiceIT");
    }

    // ---- scenario 1: the service

    @Test
    public void theFrameworkHoldsTheLaunchersBundleSet() {
        // the launcher's -runbundles (cnf/rocker.bndrun), read from the exported jar
        Set<String> expected = new TreeSet<>(RockerOptions.launcherBundleNames());
        Set<String> present = new TreeSet<>();
        for (Bundle b : rig.ctx.getBundles()) {
            String bsn = b.getSymbolicName();
            if (b.getBundleId() == 0 || b == rig.ctx.getBundle() || bsn.startsWith("org.ops4j.") || bsn.startsWith("org.apache.servicemix.bundles.")
                    || bsn.startsWith("jakarta.inject") || bsn.startsWith("PAXEXAM-")) {
                continue; // the framework, Pax Exam and JUnit
            }
            present.add(bsn);
            boolean fragment = (b.adapt(BundleRevision.class).getTypes() & BundleRevision.TYPE_FRAGMENT) != 0;
            if (bsn.startsWith("rocker.impl.linux.") && !bsn.equals(THIS_CPUS_GUARD)) {
                // another CPU's guard: its osgi.native requirement does not match, so it stays installed
                assertEquals(bsn + " is installed, not resolved (another CPU's guard)", Bundle.INSTALLED, b.getState());
                continue;
            }
            assertEquals(bsn + " is " + (fragment ? "resolved (a fragment)" : "active"),
                    fragment ? Bundle.RESOLVED : Bundle.ACTIVE, b.getState());
        }
        assertEquals("exactly the launcher's bundles (no SLF4J bundle: the system bundle exports it)", expected, present);
        for (String name : RockerOptions.rockerBundleNames()) {
            assertEquals(name + " is this build's bundle", RockerOptions.rockerBundle(name), rig.bundle(name).getLocation());
        }
        assertEquals("1.3.13", rig.bundle("com.github.jnr.jffi.native").getVersion().toString());
        assertEquals("2.2.12", rig.bundle("org.apache.felix.scr").getVersion().toString());
        assertEquals("1.9.26", rig.bundle("org.apache.felix.configadmin").getVersion().toString());
        assertEquals("2.2.17", rig.bundle("com.github.jnr.ffi").getVersion().toString());
        // the fragments are attached to their hosts: of the three guards (x86-64, aarch64, armhf), this CPU's only
        assertTrue(expected.containsAll(List.of("rocker.impl.linux.x86_64", "rocker.impl.linux.aarch64", "rocker.impl.linux.armhf")));
        assertEquals(List.of(THIS_CPUS_GUARD), fragmentsOf("rocker.impl.linux"));
        assertEquals(List.of("com.github.jnr.jffi.native"), fragmentsOf("com.github.jnr.jffi"));
    }

    /** The guard fragment that resolves on this machine (the test machine is x86-64; the others are for gateways). */
    private static final String THIS_CPUS_GUARD = "rocker.impl.linux." + switch (System.getProperty("os.arch")) {
        case "amd64", "x86_64" -> "x86_64";
        case "aarch64" -> "aarch64";
        default -> "armhf";
    };

    private List<String> fragmentsOf(String host) {
        List<String> out = new ArrayList<>();
        for (BundleWire w : rig.bundle(host).adapt(BundleWiring.class).getProvidedWires(BundleRevision.HOST_NAMESPACE)) {
            out.add(w.getRequirer().getSymbolicName());
        }
        return out;
    }

    @Test
    public void theEngineIsTheLocalRockerClientConfiguredThroughConfigAdmin() throws Exception {
        ServiceReference<RockerClient> ref = rig.localRef();
        assertEquals("local", ref.getProperty("rocker.transport"));
        assertEquals("rocker.impl.linux", ref.getBundle().getSymbolicName());
        assertEquals(Rig.ENGINE_PID, ref.getProperty("service.pid"));
        assertEquals(rig.stateDir.toString(), ref.getProperty("stateDir"));
        // the configured state dir is used: the guard comes from the native fragment, extracted there
        Path image = Images.build(rig.work, "cfg", Map.of("run.sh", "#!/bin/sh\nexec sleep 1000\n"));
        RockerResult r = rig.start(rig.local(), rig.request(image, "cfg").build(), RockerApp.of("/bin/sh", rig.execDir("cfg") + "/run.sh"));
        Path exe = Files.readSymbolicLink(Path.of("/proc", Integer.toString(r.guardPid()), "exe"));
        assertEquals("the guard runs the fragment's executable, extracted to the configured state dir: " + exe,
                rig.stateDir.resolve("bin"), exe.getParent());
        assertTrue(exe.toString(), exe.getFileName().toString().startsWith("rocker-guard-"));
        assertTrue("the registry is in the configured state dir",
                Files.exists(rig.stateDir.resolve("rockers").resolve(r.guardName() + ".rocker")));
        assertEquals(RockerError.SUCCESS, rig.local().destroy(r.guardName()).error());
    }

    @Test
    public void logLinesOfTheRockerBundlesReachSlf4jSimple() throws Exception {
        // the engine, the server and the CLI import org.slf4j from the system bundle (the framework class path)
        for (String bsn : List.of("rocker.impl.linux", "rocker.server", "rocker.cli")) {
            BundleWiring w = rig.bundle(bsn).adapt(BundleWiring.class);
            boolean found = false;
            for (BundleWire wire : w.getRequiredWires(BundleRevision.PACKAGE_NAMESPACE)) {
                if ("org.slf4j".equals(wire.getCapability().getAttributes().get(BundleRevision.PACKAGE_NAMESPACE))) {
                    assertEquals(bsn + " gets org.slf4j from the system bundle", 0, wire.getProvider().getBundle().getBundleId());
                    found = true;
                }
            }
            assertTrue(bsn + " imports org.slf4j", found);
        }
        assertEquals("org.slf4j.simple.SimpleLoggerFactory", org.slf4j.LoggerFactory.getILoggerFactory().getClass().getName());

        // and a rocker's life shows up in the log (slf4j-simple writes to System.err, looked up per line)
        Path image = Images.build(rig.work, "log", Map.of("run.sh", "#!/bin/sh\nexec sleep 1000\n"));
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream err = System.err;
        System.setErr(new PrintStream(new Tee(err, captured), true, StandardCharsets.UTF_8));
        RockerResult r;
        try {
            r = rig.start(rig.local(), rig.request(image, "log").build(), RockerApp.of("/bin/sh", rig.execDir("log") + "/run.sh"));
            assertEquals(RockerError.SUCCESS, rig.local().destroy(r.guardName()).error());
        } finally {
            System.setErr(err);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        assertTrue("the engine logs the build: " + log, log.contains("rocker " + r.guardName() + " built"));
        assertTrue("the engine logs the destroy: " + log, log.contains("rocker " + r.guardName() + " (guard pid " + r.guardPid() + ") destroyed"));
    }

    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws java.io.IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }

        @Override
        public void flush() throws java.io.IOException {
            a.flush();
            b.flush();
        }
    }

    @Test
    public void anAppRunsFromASquashfsImage() throws Exception {
        Path image = Images.build(rig.work, "hello", Map.of("bin/hello.sh", "#!/bin/sh\necho \"hello from $0 as $(id -u)\"\nexit 3\n"));
        Path out = rig.work.resolve("hello.out");
        RockerResult r = rig.start(rig.local(), rig.request(image, "hello", "/var").build(),
                RockerApp.builder().command(rig.execDir("hello") + "/bin/hello.sh").stdout(Stdio.file(out.toString())).build());
        assertTrue(r.appPid() > 0 && r.guardPid() > 0 && r.guardName().length() <= 15);
        assertEquals(3, rig.local().waitForApp(r.guardName(), Duration.ofSeconds(10)).getAsInt());
        assertEquals("hello from " + rig.execDir("hello") + "/bin/hello.sh as 1000\n", Files.readString(out));
        assertEquals(Set.of(r.guardName()), Rig.names(rig.local()));
        assertEquals(r.guardName(), rig.local().getGuardName(r.guardPid()).guardName());
        assertEquals(RockerError.SUCCESS, rig.local().destroy(r.guardPid(), r.guardName()).error());
        assertTrue(rig.local().list().isEmpty());
    }

    @Test
    public void theSeedsExampleWorksAsWritten() throws Exception {
        Path pkg = Path.of("/tmp/your_APP.squashfs");
        Path appDir = Path.of("/var/your_APP");
        assertFalse("the host must not have " + appDir + " before the test", Files.exists(appDir));
        assertFalse("the host must not have " + pkg + " before the test", Files.exists(pkg));
        RockerResult res = null;
        try {
            Path built = Images.build(rig.work, "your_APP", Map.of("start.sh",
                    "#!/bin/sh\necho uid=$(id -u) gid=$(id -g)\nls /var/your_APP/execdir\n"
                            + "echo > /var/tmp/rocker-itest-seed-write && echo wrote\nexec sleep 1000\n"));
            Files.copy(built, pkg);
            // the seed's README, field by field
            RockerRequest req = RockerRequest.builder().appId(1000).uid(1000).gid(1000)
                    .pkgPath("/tmp/your_APP.squashfs")
                    .execDir("/var/your_APP/execdir")
                    .dataDir("/var/your_APP/datadir")
                    .overlayDirs("/usr", "/var", "/etc", "/home", "/root")
                    .build();
            RockerClient client = rig.local();
            res = client.enterRocker(req, RockerApp.of("/bin/sh", "/var/your_APP/execdir/start.sh"));
            rig.track(res);
            assertEquals(res.toString(), RockerError.SUCCESS, res.error());
            String out = Apps.awaitOutput(appDir.resolve("datadir/log/stdout.log"), "wrote");
            assertTrue(out, out.startsWith("uid=1000 gid=1000\nstart.sh\n"));
            assertTrue(Files.exists(appDir.resolve("datadir/upper/var/tmp/rocker-itest-seed-write")));
            assertFalse(Files.exists(Path.of("/var/tmp/rocker-itest-seed-write")));
            assertEquals(1000, client.list().get(0).appId());
            List<String> inside = KernelView.mountsOf(res.appPid());
            for (String d : RockerRequest.SEED_OVERLAY_DIRS) {
                assertTrue(d + " is an overlay inside: " + inside, inside.contains(d + " overlay"));
            }
            assertTrue(inside.toString(), inside.contains("/var/your_APP/execdir squashfs"));
            assertTrue(KernelView.loopsOn("/tmp/your_APP.squashfs").size() == 1);
            // the seed's clean-up: check the name, then kill
            RockerResult name = client.getGuardName(res.guardPid());
            assertEquals(RockerError.SUCCESS, name.error());
            assertEquals(res.guardName(), name.guardName());
            assertEquals(RockerError.SUCCESS, client.destroy(res.guardPid(), name.guardName()).error());
            assertTrue("no loop device on the seed's package", KernelView.eventually(() -> KernelView.loopsOn("/tmp/your_APP.squashfs").isEmpty()));
            assertTrue(KernelView.eventually(() -> KernelView.rockerProcessesMentioning("/var/your_APP").isEmpty()));
            assertFalse("the exec dir was made inside the rocker, in the data dir", Files.exists(appDir.resolve("execdir")));
        } finally {
            // the rocker (if the test failed half-way) goes before its package and data dir
            String guard = res == null ? "" : res.guardName();
            try {
                if (res != null && res.isSuccess() && rig.local().list().stream().anyMatch(i -> i.guardName().equals(guard))) {
                    rig.local().destroy(guard);
                }
            } catch (RuntimeException | AssertionError e) {
                // the Rig's clean-up kills it and fails the test
            }
            KernelView.eventually(() -> KernelView.loopsOn(pkg.toString()).isEmpty());
            Files.deleteIfExists(pkg);
            WorkDirs.delete(appDir);
        }
    }

    // ---- scenario 2: isolation seen from the host

    private static final String PROBE = "#!/bin/sh\n"
            + "mkdir -p /var/tmp/rocker-itest && echo y > /var/tmp/rocker-itest/y && echo wrote-var\n"
            + "echo x > /etc/rocker-itest-x 2>/dev/null && echo wrote-etc || echo etc-denied\n"
            + "touch \"$EXEC/z\" 2>/dev/null && echo exec-writable || echo exec-readonly\n"
            + "echo pids: $(ls /proc | grep -E '^[0-9]+$' | tr '\\n' ' ')\n"
            + "echo id: $(id -u):$(id -g)\n"
            + "echo ready\n"
            + "exec sleep 1000\n";

    @Test
    public void isolationSeenFromTheHost() throws Exception {
        assertFalse("precondition", Files.exists(Path.of("/etc/rocker-itest-x")));
        assertFalse("precondition", Files.exists(Path.of("/var/tmp/rocker-itest")));
        Path image = Images.build(rig.work, "probe", Map.of("probe.sh", PROBE));
        Path out = rig.work.resolve("probe.out");
        String exec = rig.execDir("iso");
        RockerResult r = rig.start(rig.local(), rig.request(image, "iso", "/etc", "/var").uid(1000).gid(1001).build(),
                RockerApp.builder().command("/bin/sh", exec + "/probe.sh").env("EXEC", exec)
                        .stdout(Stdio.file(out.toString())).stderr(Stdio.file(out.toString())).build());
        String text = Apps.awaitOutput(out, "ready");
        assertTrue(text, text.contains("wrote-var"));
        assertTrue("uid 1000 may not write the (root-owned) /etc, overlay or not: " + text, text.contains("etc-denied"));

        // writes land in DATA/upper/<dir>/..., the host's dirs are untouched
        Path data = rig.work.resolve("data-iso");
        assertEquals("y\n", Files.readString(data.resolve("upper/var/tmp/rocker-itest/y")));
        assertFalse("host /etc untouched", Files.exists(Path.of("/etc/rocker-itest-x")));
        assertFalse("host /var untouched", Files.exists(Path.of("/var/tmp/rocker-itest")));

        // the app's identity as asked, as the kernel reports it
        assertEquals("1000\t1000\t1000\t1000", KernelView.status(r.appPid(), "Uid"));
        assertEquals("1001\t1001\t1001\t1001", KernelView.status(r.appPid(), "Gid"));
        assertEquals("0000000000000000", KernelView.status(r.appPid(), "CapEff"));
        assertTrue(text, text.contains("id: 1000:1001\n"));

        // the app sees only its rocker's processes; the host sees the guard as PID 1 of that namespace
        List<Integer> seen = new ArrayList<>();
        for (String p : text.replaceAll("(?s).*pids: ([0-9 ]*).*", "$1").trim().split(" ")) {
            seen.add(Integer.parseInt(p));
        }
        String pidNs = KernelView.nsLink(r.guardPid(), "pid");
        assertNotEquals(KernelView.nsLink(KernelView.self(), "pid"), pidNs);
        List<Integer> inNs = KernelView.processesIn(pidNs);
        assertTrue("guard and app (and the app's ls pipeline when it looked): " + seen + " vs " + inNs,
                seen.contains(1) && seen.size() <= 6 && seen.stream().allMatch(p -> p < 100));
        assertEquals("guard and app only, now: " + inNs, Set.of(r.guardPid(), r.appPid()), Set.copyOf(inNs));
        assertTrue(KernelView.status(r.guardPid(), "NSpid").endsWith("\t1"));
        assertEquals(KernelView.nsLink(r.guardPid(), "mnt"), KernelView.nsLink(r.appPid(), "mnt"));
        assertNotEquals(KernelView.nsLink(KernelView.self(), "mnt"), KernelView.nsLink(r.appPid(), "mnt"));

        // the image is mounted read-only inside, and nothing of it shows on the host
        assertTrue(text, text.contains("exec-readonly"));
        List<String> inside = KernelView.mountsOf(r.appPid());
        assertTrue(inside.toString(), inside.contains(exec + " squashfs"));
        String execLine = Files.readAllLines(Path.of("/proc", Integer.toString(r.appPid()), "mountinfo")).stream()
                .filter(l -> l.split(" ")[4].equals(exec)).findFirst().orElseThrow();
        assertTrue(execLine, Arrays.asList(execLine.split(" ")[5].split(",")).contains("ro"));
        assertFalse(KernelView.mountPoints().contains(exec));
        assertTrue(KernelView.overlayAndSquashfsMounts().stream().noneMatch(m -> m.startsWith(rig.work.toString())));
        assertEquals(1, KernelView.loopsOn(image.toString()).size());

        assertEquals(RockerError.SUCCESS, rig.local().destroy(r.guardName()).error());
        assertTrue(KernelView.eventually(() -> KernelView.processesIn(pidNs).isEmpty()));
        assertTrue(KernelView.eventually(() -> KernelView.loopsOn(image.toString()).isEmpty()));
        assertEquals("the data is kept", "y\n", Files.readString(data.resolve("upper/var/tmp/rocker-itest/y")));
        assertFalse(Files.exists(data.resolve("upper/etc/rocker-itest-x")));
    }

    // ---- scenario 3: the error matrix

    @Test
    public void everyRefusalHasItsCodeAndLeavesTheHostUnchanged() throws Exception {
        RockerClient c = rig.local();
        Path img = Images.build(rig.work, "err", Map.of("run.sh", "#!/bin/sh\nexec sleep 1000\n"));
        RockerApp app = RockerApp.of("/bin/sh", rig.execDir("e") + "/run.sh");
        RockerRequest ok = rig.request(img, "e", "/etc").build();

        // param_invalid, one per class of rule
        refused(c, ok.toBuilder().execDir("relative/exec").build(), app, RockerError.PARAM_INVALID, "app_exec_dir 'relative/exec'");
        refused(c, ok.toBuilder().execDir(rig.work + "/a/../exec").build(), app, RockerError.PARAM_INVALID, "must be normalized");
        refused(c, ok.toBuilder().overlayDirs("/proc").build(), app, RockerError.PARAM_INVALID, "app_overlay_dirs '/proc'");
        refused(c, ok.toBuilder().overlayDirs("/var/lib").build(), app, RockerError.PARAM_INVALID, "must be a top-level dir");
        refused(c, ok.toBuilder().overlayDirs("/a", "/b", "/c", "/d", "/e", "/f", "/g", "/h", "/i", "/j", "/k", "/l", "/m",
                "/n", "/o", "/p", "/q").build(), app, RockerError.PARAM_INVALID, "more than 16");
        refused(c, ok.toBuilder().dataDir(rig.execDir("e") + "/data").build(), app, RockerError.PARAM_INVALID, "app_data_dir");
        refused(c, ok.toBuilder().uid(-1).build(), app, RockerError.PARAM_INVALID, "uid '-1'");
        refused(c, ok.toBuilder().hostname("not a host!").build(), app, RockerError.PARAM_INVALID, "hostname");
        refused(c, ok, RockerApp.of(""), RockerError.PARAM_INVALID, "command");
        refused(c, ok.toBuilder().dataDir(rig.work + "/data,x").build(), app, RockerError.PARAM_INVALID, "overlay mount options");

        // the host's view: a missing package, a file that is not squashfs, an exec dir that is a file
        Path missing = rig.work.resolve("missing.squashfs");
        refused(c, ok.toBuilder().pkgPath(missing.toString()).build(), app, RockerError.PARAM_INVALID,
                "app_pkg_path '" + missing + "': does not exist");
        Path text = rig.work.resolve("text.squashfs");
        Files.writeString(text, "just text, no image");
        refused(c, ok.toBuilder().pkgPath(text.toString()).build(), app, RockerError.PARAM_INVALID, "is not a squashfs image");
        // a file where the exec dir should be, where the rocker sees the host (its /tmp is its own)
        Path file = Files.createTempFile(Path.of("/var/tmp"), "rocker-itest-exec-", ".file");
        try {
            refused(c, ok.toBuilder().execDir(file.toString()).build(), app, RockerError.PARAM_INVALID,
                    "app_exec_dir '" + file + "': " + file + " is not a dir");
        } finally {
            Files.delete(file);
        }
        refused(c, ok.toBuilder().overlayDirs("/no-such-dir-here").build(), app, RockerError.PARAM_INVALID,
                "app_overlay_dirs '/no-such-dir-here'");
        assertFalse("no data dir was made for a refused request", Files.exists(rig.work.resolve("data-e")));

        // failures of the kernel and in the rocker: a corrupt image, a missing program, a missing work dir
        Path corrupt = Images.corrupt(rig.work, "corrupt");
        refused(c, ok.toBuilder().pkgPath(corrupt.toString()).build(), app, RockerError.BUILD_ROCKER_FAILED, "cannot mount the image");
        refused(c, ok, RockerApp.of("/no/such/program"), RockerError.APP_EXEC_FAILED, "/no/such/program");
        refused(c, ok, RockerApp.builder().command("/bin/true").workDir("/no/such/dir").build(), RockerError.ENTER_ROCKER_FAILED,
                "/no/such/dir");

        // the other operations
        RockerResult noSuchPid = c.getGuardName(999_999_999);
        assertEquals(noSuchPid.toString(), RockerError.GET_GUARDNAME_FAILED, noSuchPid.error());
        RockerResult noSuchRocker = c.destroy("rkaaaaaaaaaaaaa");
        assertEquals(noSuchRocker.toString(), RockerError.PARAM_INVALID, noSuchRocker.error());
        assertTrue(c.list().isEmpty());
    }

    /** {@code request} fails with {@code error}; afterwards no mount, loop device or process is new. */
    private void refused(RockerClient c, RockerRequest request, RockerApp app, RockerError error, String messagePart) throws Exception {
        Set<String> mounts = KernelView.mountPoints();
        RockerResult r = c.enterRocker(request, app);
        assertEquals(r.toString(), error, r.error());
        assertEquals(error.code(), r.error().code());
        assertTrue(r.message(), r.message().contains(messagePart));
        assertEquals("", r.guardName());
        assertEquals(0, r.guardPid());
        assertEquals(0, r.appPid());
        assertTrue(c.list().isEmpty());
        assertEquals("no new mount on the host after " + r, mounts, KernelView.mountPoints());
        assertTrue("no loop device left after " + r + ": " + KernelView.loopsOn(rig.work.toString()),
                KernelView.eventually(() -> KernelView.loopsOn(rig.work.toString()).isEmpty()));
        // a guard lives in a child pid namespace and its keeper is a child of this JVM: neither is left
        assertTrue("no process left in a child pid namespace after " + r,
                KernelView.eventually(() -> KernelView.rockerProcessesMentioning(rig.work.toString()).isEmpty()));
        assertTrue("no keeper left after " + r, KernelView.eventually(() -> Rig.keeperChildren().isEmpty()));
    }
}
