package rocker.bench;

import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

import org.junit.Assume;
import org.junit.Test;

import rocker.testsupport.WorkDirs;

/**
 * Keeps the bench working: the suite runs in --smoke mode (a handful of starts per part, no 200-start
 * series, no PostgreSQL, no 500 live rockers, no JMH) and its JSON has every key. Timings are never
 * asserted: this machine may be shared and noisy. Needs root, like the engine's own tests.
 */
public class BenchSmokeTest {
    @Test
    public void smokeRunWritesEveryKeyAndLeavesNothingBehind() throws Exception {
        Assume.assumeTrue("the bench builds rockers: run as root", new com.sun.security.auth.module.UnixSystem().getUid() == 0);
        Path out = Files.createTempFile("rocker-bench-smoke-", ".json");
        try {
            BenchMain.run(new String[] {"--smoke", "--out", out.toString()}, System.out);
            String json = Files.readString(out);
            for (String key : BenchMain.REQUIRED_KEYS) {
                assertTrue("results.json has " + key + ":\n" + json,
                        Pattern.compile("\"" + key + "\": (null|-?[0-9][0-9.eE+-]*)[,\n]").matcher(json).find());
            }
            // the parts that need nothing but root and the build: they must have run
            for (String key : new String[] {"start_p50_ms", "floor_p50_ms", "guard_rss_kib", "start_p50_ms_with_0_live"}) {
                assertTrue(key + " was measured:\n" + json, Pattern.compile("\"" + key + "\": [0-9]").matcher(json).find());
            }
            assertTrue("nothing left behind:\n" + json, json.contains("\"leaks\": []"));
            assertTrue("every clean-up step worked:\n" + json, json.contains("\"cleanup_failures\": []"));
        } finally {
            Files.deleteIfExists(out);
            WorkDirs.delete(BenchMain.logsDir(out));
        }
    }
}
