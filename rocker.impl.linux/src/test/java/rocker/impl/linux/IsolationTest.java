package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.Rule;
import org.junit.Test;

import rocker.api.NetworkMode;
import rocker.api.RockerApp;
import rocker.api.RockerError;
import rocker.api.RockerResult;
import rocker.api.Stdio;
import rocker.testsupport.Apps;
import rocker.testsupport.Images;
import rocker.testsupport.KernelView;

/** A rocker seen from inside (what its app reports) and from outside (what the kernel says). */
public class IsolationTest {
    private static final String PROBE = "#!/bin/sh\n"
            + "echo x > /etc/rocker-test-x && echo wrote-etc\n"
            + "touch \"$EXEC/y\" 2>/dev/null && echo exec-writable || echo exec-readonly\n"
            + "echo pids: $(ls /proc | grep -E '^[0-9]+$' | tr '\\n' ' ')\n"
            + "echo host: $(hostname)\n"
            + "echo id: $(id -u):$(id -g):$(id -G)\n"
            + "echo caps: $(grep CapEff /proc/self/status)\n"
            + "echo ready\n"
            + "exec sleep 1000\n";

    @Rule
    public final EngineFixture fx = new EngineFixture();

    private RockerResult start(String data, int uid, int gid, Path out, String... overlays) throws Exception {
        Path image = Images.build(fx.work, "probe", Map.of("probe.sh", PROBE));
        String exec = fx.work.resolve("exec-" + data).toString();
        RockerResult r = fx.engine.enterRocker(fx.request(image, data, overlays).uid(uid).gid(gid).build(),
                RockerApp.builder().command("/bin/sh", exec + "/probe.sh").env("EXEC", exec)
                        .stdout(Stdio.file(out.toString())).stderr(Stdio.file(out.toString())).build());
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        return r;
    }

    @Test
    public void writesLandInTheDataDirAndTheHostIsUntouched() throws Exception {
        assertFalse("precondition", Files.exists(Path.of("/etc/rocker-test-x")));
        Path out = fx.work.resolve("out-root.txt");
        RockerResult r = start("root", 0, 0, out, "/etc", "/var");
        String text = Apps.awaitOutput(out, "ready");

        // inside: the write to /etc worked, the image is read-only, only the rocker's processes are seen
        assertTrue(text, text.contains("wrote-etc"));
        assertTrue(text, text.contains("exec-readonly"));
        List<String> pids = Arrays.asList(text.replaceAll("(?s).*pids: ([0-9 ]*).*", "$1").trim().split(" "));
        assertTrue(text, pids.contains("1"));
        assertTrue("the app sees only its rocker's processes: " + pids, pids.size() <= 8 && pids.stream().allMatch(p -> Integer.parseInt(p) < 50));
        assertTrue(text, text.contains("host: " + r.guardName()));
        assertTrue("no capabilities left, even as uid 0: " + text, text.contains("CapEff: 0000000000000000"));

        // outside: the write is in the data dir's upper dir and not on the host
        assertFalse("host /etc untouched", Files.exists(Path.of("/etc/rocker-test-x")));
        assertEquals("x\n", Files.readString(fx.work.resolve("data-root/upper/etc/rocker-test-x")));
        // the guard is PID 1 of its pid namespace and carries the result's name
        assertEquals(r.guardName(), ProcStat.read(r.guardPid()).get().name);
        assertTrue(KernelView.status(r.guardPid(), "NSpid").endsWith("\t1"));
        assertEquals(KernelView.nsLink(r.guardPid(), "pid"), KernelView.nsLink(r.appPid(), "pid"));
        assertEquals(KernelView.nsLink(r.guardPid(), "mnt"), KernelView.nsLink(r.appPid(), "mnt"));
        assertNotEquals(KernelView.nsLink(r.appPid(), "mnt"), KernelView.nsLink(0 + (int) ProcessHandle.current().pid(), "mnt"));
        // its mounts: overlays and the image, none of them visible on the host
        List<String> inside = KernelView.mountsOf(r.appPid());
        assertTrue(inside.toString(), inside.contains("/etc overlay"));
        assertTrue(inside.toString(), inside.contains("/var overlay"));
        assertTrue(inside.toString(), inside.contains(fx.work.resolve("exec-root") + " squashfs"));
        assertFalse(KernelView.mountPoints().contains(fx.work.resolve("exec-root").toString()));
        assertTrue(KernelView.loopBackingFiles().toString().contains(fx.work.resolve("probe.squashfs").toString()));
    }

    @Test
    public void appRunsAsTheRequestedUidAndGid() throws Exception {
        Path out = fx.work.resolve("out-1000.txt");
        RockerResult r = start("user", 1000, 1001, out, "/etc");
        String text = Apps.awaitOutput(out, "ready");
        assertTrue(text, text.contains("id: 1000:1001:1001\n"));
        assertEquals("1000\t1000\t1000\t1000", KernelView.status(r.appPid(), "Uid"));
        assertEquals("1001\t1001\t1001\t1001", KernelView.status(r.appPid(), "Gid"));
        assertEquals("", KernelView.status(r.appPid(), "Groups"));
        assertEquals("1", KernelView.status(r.appPid(), "NoNewPrivs"));
        assertEquals("0000000000000000", KernelView.status(r.appPid(), "CapEff"));
        assertEquals("0000000000000000", KernelView.status(r.appPid(), "CapBnd"));
        // the file descriptors of the app once it is sleep (the shell keeps its script open): stdio only
        assertTrue(KernelView.eventually(EngineFixture.SETTLE, () -> ProcStat.read(r.appPid()).map(p -> p.name.equals("sleep")).orElse(false)));
        try (var fds = Files.list(Path.of("/proc", Integer.toString(r.appPid()), "fd"))) {
            assertEquals("no inherited descriptors beyond stdio", 3, fds.count());
        }
    }

    @Test
    public void userNamespaceModeMapsRootInsideToTheUidOutside() throws Exception {
        Path image = Images.build(fx.work, "probe", Map.of("probe.sh", PROBE));
        Path out = fx.work.resolve("out-userns.txt");
        String exec = fx.work.resolve("exec-userns").toString();
        RockerResult r = fx.engine.enterRocker(fx.request(image, "userns", "/var").uid(1000).gid(1000).userNamespace(true).build(),
                RockerApp.builder().command("/bin/sh", exec + "/probe.sh").env("EXEC", exec).stdout(Stdio.file(out.toString())).build());
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        String text = Apps.awaitOutput(out, "ready");
        assertTrue(text, text.contains("id: 0:0:"));
        assertEquals("1000\t1000\t1000\t1000", KernelView.status(r.appPid(), "Uid"));
        assertEquals("0 1000 1", Files.readString(Path.of("/proc", Integer.toString(r.appPid()), "uid_map")).trim().replaceAll("\\s+", " "));
        assertEquals("deny", Files.readString(Path.of("/proc", Integer.toString(r.appPid()), "setgroups")).trim());
    }

    @Test
    public void privateNetworkHasOnlyLoopback() throws Exception {
        Path image = Images.build(fx.work, "net", Map.of("net.sh", "#!/bin/sh\ncat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' ' | tr '\\n' ,; echo\necho done\n"));
        Path out = fx.work.resolve("out-net.txt");
        String exec = fx.work.resolve("exec-net").toString();
        RockerResult r = fx.engine.enterRocker(fx.request(image, "net").network(NetworkMode.NONE).hostname("gw-test").build(),
                RockerApp.builder().command("/bin/sh", exec + "/net.sh").stdout(Stdio.file(out.toString())).build());
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        assertEquals(0, fx.engine.waitForApp(r.guardName(), Duration.ofSeconds(10)).getAsInt());
        assertEquals("lo,\ndone\n", Files.readString(out));
        assertNotEquals(KernelView.nsLink(r.guardPid(), "net"), KernelView.nsLink((int) ProcessHandle.current().pid(), "net"));
    }
}
