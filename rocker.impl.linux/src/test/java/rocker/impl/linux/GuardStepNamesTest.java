package rocker.impl.linux;

import static org.junit.Assert.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.junit.Test;

/** The guard names its failing steps; the engine knows exactly the names rocker-guard.c sends. */
public class GuardStepNamesTest {
    @Test
    public void theEngineKnowsEveryStepNameTheGuardSends() throws Exception {
        String source = Files.readString(Path.of("src/main/c/rocker-guard.c"));
        String table = source.substring(source.indexOf("step_names[] = {"), source.indexOf("};", source.indexOf("step_names[] = {")));
        Set<String> guard = new TreeSet<>();
        for (Matcher m = Pattern.compile("\\[S_[A-Z_]+\\] = \"([a-z_]+)\"").matcher(table); m.find();) {
            guard.add(m.group(1));
        }
        Set<String> engine = Arrays.stream(GuardStep.values()).filter(s -> s != GuardStep.NONE).map(GuardStep::wireName)
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(engine, guard);
        assertEquals(GuardStep.SECCOMP_NAME, GuardStep.named("seccomp_name"));
        assertEquals(GuardStep.NONE, GuardStep.named("no_such_step"));
    }
}
