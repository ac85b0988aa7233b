package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

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

public class SmokeTest {
    @Rule
    public final EngineFixture fx = new EngineFixture();

    @Test
    public void runsAnAppFromAnImage() throws Exception {
        Path image = Images.build(fx.work, "hello", Map.of("hello.sh", "#!/bin/sh\necho hello from $(id -u):$(id -g) on $(hostname)\n"));
        Path out = fx.work.resolve("out.txt");
        RockerResult r = fx.engine.enterRocker(fx.request(image, "a", "/etc").build(),
                RockerApp.builder().command("/bin/sh", fx.work.resolve("exec-a") + "/hello.sh").stdout(Stdio.file(out.toString())).build());
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        assertEquals(0, fx.engine.waitForApp(r.guardName(), Duration.ofSeconds(10)).getAsInt());
        String text = Files.readString(out);
        assertTrue(text, text.startsWith("hello from 1000:1000 on " + r.guardName()));
    }
}
