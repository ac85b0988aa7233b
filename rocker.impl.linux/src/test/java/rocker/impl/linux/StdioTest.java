package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.Rule;
import org.junit.Test;

import rocker.api.RockerApp;
import rocker.api.RockerError;
import rocker.api.RockerResult;
import rocker.api.Stdio;
import rocker.testsupport.Images;
import rocker.testsupport.KernelView;

/** Where the app's standard streams go, and that nothing else reaches it. */
public class StdioTest {
    @Rule
    public final EngineFixture fx = new EngineFixture();

    private Path image() throws Exception {
        return Images.build(fx.work, "io", Map.of("io.sh",
                "#!/bin/sh\nread line\necho \"out:$line\"\necho err >&2\necho env:$(env | sort | tr '\\n' ' ')\nls /proc/self/fd | wc -l\n"));
    }

    @Test
    public void streamsAndFilesReceiveTheOutput() throws Exception {
        Path img = image();
        Path in = fx.work.resolve("in.txt");
        Files.writeString(in, "hello\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Path err = fx.work.resolve("err.txt");
        RockerResult r = fx.engine.enterRocker(fx.request(img, "s").build(),
                RockerApp.builder().command("/bin/sh", fx.work.resolve("exec-s") + "/io.sh").env("FOO", "bar")
                        .stdin(Stdio.file(in.toString())).stdout(Stdio.stream(out)).stderr(Stdio.file(err.toString())).build());
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        assertEquals(0, fx.engine.waitForApp(r.guardName(), Duration.ofSeconds(10)).getAsInt());
        assertTrue(KernelView.eventually(EngineFixture.SETTLE, () -> out.toString().endsWith("\n4\n") || out.toString().endsWith("\n5\n")));
        String text = out.toString();
        assertTrue(text, text.startsWith("out:hello\n"));
        assertTrue("a clean environment: " + text, text.contains("env:FOO=bar LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin PWD="));
        assertEquals("err\n", Files.readString(err));
        // 0, 1, 2 and the directory ls reads (+ the fd ls itself may count): nothing inherited
        assertTrue(text, text.endsWith("\n4\n"));
    }

    @Test
    public void theDefaultIsTheDataDirsLogs() throws Exception {
        Path img = image();
        RockerResult r = fx.engine.enterRocker(fx.request(img, "l").build(),
                RockerApp.of("/bin/sh", fx.work.resolve("exec-l") + "/io.sh"));
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        assertEquals(0, fx.engine.waitForApp(r.guardName(), Duration.ofSeconds(10)).getAsInt());
        Path log = fx.work.resolve("data-l/log");
        assertTrue(Files.readString(log.resolve("stdout.log")).startsWith("out:\n"));
        assertEquals("err\n", Files.readString(log.resolve("stderr.log")));
        assertEquals(1000, Files.getAttribute(log.resolve("stdout.log"), "unix:uid"));
    }
}
