package rocker.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.ServiceReference;

import rocker.api.RockerApp;
import rocker.api.RockerClient;
import rocker.api.RockerError;
import rocker.api.RockerInfo;
import rocker.api.RockerResult;
import rocker.api.Stdio;
import rocker.testsupport.Images;
import rocker.testsupport.KernelView;

/**
 * Scenario 4: inside one framework, the remote RockerClient service of rocker.client talks over the
 * configured Unix socket to the server component, which serves it with the local engine.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ServerIT {
    @Rule
    public final Rig rig = new Rig();

    @Configuration
    public Option[] config() {
        return RockerOptions.framework("ServerIT");
    }

    @Test
    public void remoteClientSocketServerEngineRoundTrip() throws Exception {
        ServiceReference<RockerClient> ref = rig.remoteRef();
        assertEquals("remote", ref.getProperty("rocker.transport"));
        assertEquals("rocker.client", ref.getBundle().getSymbolicName());
        RockerClient remote = rig.remote();
        RockerClient local = rig.local();
        assertTrue("the server listens on the configured socket " + rig.socket, KernelView.eventually(rig::socketPresent));
        assertTrue(Files.readAttributes(rig.socket, PosixFileAttributes.class).isOther());
        assertTrue("the server's socket, and nothing in /run/rocker", !rig.socket.toString().startsWith("/run/"));

        Path image = Images.build(rig.work, "srv", Map.of("run.sh", "#!/bin/sh\necho \"via the server: $1\"\nsleep 0.3\nexit 7\n"));
        Path out = rig.work.resolve("srv.out");
        RockerResult r = rig.start(remote, rig.request(image, "srv", "/var").appId(42).build(),
                RockerApp.builder().command("/bin/sh", rig.execDir("srv") + "/run.sh", "hello").stdout(Stdio.file(out.toString())).build());
        assertTrue(r.guardPid() > 0 && r.appPid() > 0);

        // the engine made it: the local service and the kernel agree with what came over the wire
        RockerInfo info = local.list().stream().filter(i -> i.guardName().equals(r.guardName())).findFirst().orElseThrow();
        assertEquals(r.guardPid(), info.guardPid());
        assertEquals(42, info.appId());
        assertEquals(Set.of(r.guardName()), Rig.names(remote));
        assertEquals(42, remote.list().get(0).appId());
        assertEquals(r.guardName(), KernelView.stat(r.guardPid()).orElseThrow().name());
        assertTrue(KernelView.status(r.guardPid(), "NSpid").endsWith("\t1"));
        RockerResult name = remote.getGuardName(r.guardPid());
        assertEquals(name.toString(), RockerError.SUCCESS, name.error());
        assertEquals(r.guardName(), name.guardName());

        // the app's exit status, asked over the socket
        OptionalInt status = remote.waitForApp(r.guardName(), Duration.ofSeconds(20));
        assertEquals(OptionalInt.of(7), status);
        assertEquals("via the server: hello\n", Files.readString(out));

        RockerResult d = remote.destroy(r.guardPid(), r.guardName());
        assertEquals(d.toString(), RockerError.SUCCESS, d.error());
        assertTrue(local.list().isEmpty());
        assertTrue(remote.list().isEmpty());
        assertTrue(KernelView.eventually(() -> !KernelView.alive(r.guardPid())));
    }

    @Test
    public void theAppsOutputStreamsBackOverTheSocket() throws Exception {
        Path image = Images.build(rig.work, "stream", Map.of("run.sh", "#!/bin/sh\nfor i in 1 2 3; do echo line $i; done\necho oops >&2\nexit 0\n"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        RockerClient remote = rig.remote();
        RockerResult r = rig.start(remote, rig.request(image, "stream").removeOnExit(true).build(),
                RockerApp.builder().command("/bin/sh", rig.execDir("stream") + "/run.sh").stdout(Stdio.stream(out)).stderr(Stdio.stream(err)).build());
        assertEquals(OptionalInt.of(0), remote.waitForApp(r.guardName(), Duration.ofSeconds(20)));
        assertEquals("line 1\nline 2\nline 3\n", out.toString(StandardCharsets.UTF_8));
        assertEquals("oops\n", err.toString(StandardCharsets.UTF_8));
        assertTrue("--rm: the rocker ends with its app", KernelView.eventually(() -> !KernelView.alive(r.guardPid())));
        assertTrue(KernelView.eventually(() -> remote.list().isEmpty()));
    }

    @Test
    public void errorsTravelOverTheSocketWithTheirCodes() throws Exception {
        RockerClient remote = rig.remote();
        Path image = Images.build(rig.work, "bad", Map.of("run.sh", "#!/bin/sh\nexec sleep 1000\n"));
        RockerApp app = RockerApp.of("/bin/sh", rig.execDir("bad") + "/run.sh");
        // decided by the engine behind the server (the client cannot know): a missing package, a program that is not there
        Path missing = rig.work.resolve("missing.squashfs");
        RockerResult noPkg = remote.enterRocker(rig.request(missing, "bad").build(), app);
        assertEquals(noPkg.toString(), RockerError.PARAM_INVALID, noPkg.error());
        assertTrue(noPkg.message(), noPkg.message().contains("app_pkg_path '" + missing + "'"));
        RockerResult noProgram = remote.enterRocker(rig.request(image, "bad").build(), RockerApp.of("/no/such/program"));
        assertEquals(noProgram.toString(), RockerError.APP_EXEC_FAILED, noProgram.error());
        RockerResult noPid = remote.getGuardName(999_999_999);
        assertEquals(noPid.toString(), RockerError.GET_GUARDNAME_FAILED, noPid.error());
        RockerResult notAGuard = remote.destroy(KernelView.self(), KernelView.stat(KernelView.self()).orElseThrow().name());
        assertNotEquals(notAGuard.toString(), RockerError.SUCCESS, notAGuard.error());
        assertTrue(remote.list().isEmpty());
        assertEquals(List.of(), rig.local().list());
        rig.assertHostClean();
    }
}
