package rocker.cli.internal;

import static org.junit.Assert.assertArrayEquals;

import java.util.Map;

import org.junit.Test;

/** The bnd launcher's command line, as its service carries it. */
public class LauncherArgumentsTest {
    @Test
    public void readsTheLauncherArguments() {
        assertArrayEquals(new String[] {"ls", "--json"}, LauncherArguments.of(Map.of("launcher.arguments", new String[] {"ls", "--json"})));
        assertArrayEquals(new String[] {"ls"}, LauncherArguments.of(Map.of("launcher.arguments", "ls")));
        assertArrayEquals(new String[0], LauncherArguments.of(Map.of()));
    }
}
