package rocker.cli;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;

import rocker.server.testing.ServerFixture;

/**
 * {@link Main}, the client commands without a framework, in a class loader that holds only rocker.api,
 * rocker.client and rocker.cli (and the JDK): no OSGi, no SLF4J, no jnr. It talks to a real server over a
 * real socket and answers as {@link RockerCli} does in the launcher.
 */
public class MainTest {
    @Rule
    public final ServerFixture fixture = new ServerFixture();
    private URLClassLoader plain;
    private Method run;
    private String out;
    private String err;

    @Before
    public void plainClassPath() throws Exception {
        List<URL> urls = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String name = Path.of(e).toAbsolutePath().normalize().toString();
            boolean ours = name.contains("rocker.api") || name.contains("rocker.client") || name.contains("rocker.cli");
            if (ours && !name.contains("test")) {
                urls.add(Path.of(e).toUri().toURL());
            }
        }
        assertEquals("rocker.api, rocker.client and rocker.cli: " + urls, 3, urls.size());
        plain = new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader());
        for (String absent : List.of("org.osgi.framework.BundleContext", "org.slf4j.LoggerFactory",
                "jnr.unixsocket.UnixSocketChannel", "rocker.server.ServerStatus")) {
            try {
                plain.loadClass(absent);
                fail(absent + " is on the plain class path");
            } catch (ClassNotFoundException expected) {
                // as wanted
            }
        }
        Class<?> main = plain.loadClass(Main.class.getName());
        assertTrue(main != Main.class);
        run = main.getDeclaredMethod("run", String[].class, PrintStream.class, PrintStream.class);
        run.setAccessible(true);
    }

    @After
    public void close() throws Exception {
        plain.close();
    }

    private int main(String... args) throws Exception {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int code = (Integer) run.invoke(null, args, new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8));
        out = o.toString(StandardCharsets.UTF_8);
        err = e.toString(StandardCharsets.UTF_8);
        return code;
    }

    @Test
    public void theClientCommandsWorkWithoutAFramework() throws Exception {
        String s = fixture.socket().toString();
        assertEquals(err, 0, main("run", "--socket", s, "--pkg", "/tmp/a.squashfs", "--exec-dir", "/opt/a", "--data-dir", "/tmp/data",
                "--json", "--", "/bin/app"));
        assertTrue(out, out.contains("\"guard_name\":\"rocker-fake-1\""));
        assertEquals(err, 0, main("ls", "--socket", s, "--json"));
        assertTrue(out, out.startsWith("[{\"guard_name\":\"rocker-fake-1\",\"guard_pid\":10001"));
        assertEquals(err, 0, main("ls", "--socket", s));
        assertTrue(out, out.startsWith("NAME             GUARD_PID   APP_ID    UPTIME     MEMORY   PIDS  IMAGE  PACKAGE\nrocker-fake-1 "));
        assertEquals(1, main("stats", "--socket", s, "rocker-fake-1"));
        assertEquals("rocker: no figures for rocker-fake-1: no such rocker, or the server cannot tell\n", err);
        assertEquals(err, 0, main("kill", "--socket", s, "rocker-fake-1"));
        assertEquals("rocker-fake-1\n", out);
        assertEquals(0, main("ls", "--socket", s, "--json"));
        assertEquals("[]\n", out);
    }

    @Test
    public void runWaitStreamsTheOutputAndExitsWithTheStatus() throws Exception {
        fixture.engine.exitStatus = 3;
        assertEquals(err, 3, main("run", "--socket", fixture.socket().toString(), "--pkg", "/tmp/a.squashfs", "--exec-dir", "/opt/a",
                "--data-dir", "/tmp/data", "--wait", "--", "/bin/app"));
        assertEquals("hello from the app\n", out);
        assertEquals("a warning\n", err);
    }

    @Test
    public void helpTextsAndFailuresAreTheCommandLines() throws Exception {
        assertEquals(0, main("--help"));
        assertEquals(RockerCli.USAGE + "\n", out);
        assertEquals(0, main("run", "--help"));
        assertEquals(RunOptions.USAGE + "\n", out);
        assertEquals(125, main());
        assertEquals(RockerCli.USAGE + "\n", err);
        assertEquals(125, main("ls", "--socket", fixture.dir().resolve("absent.sock").toString()));
        assertTrue(err, err.startsWith("rocker: server_unaddr_invalid: cannot connect to"));
        assertTrue(err, err.contains("is 'rocker serve' running?"));
        assertEquals(125, main("ls", "--bogus"));
        assertEquals("rocker: param_invalid: unknown option '--bogus'\nSee 'rocker ls --help'.\n", err);
    }

    @Test
    public void serveAndTheLocalEngineAreTheLaunchers() throws Exception {
        assertEquals(125, main("serve", "--socket", fixture.dir().resolve("s.sock").toString()));
        assertEquals("rocker: sys: serve needs the launcher: java -jar rocker.jar serve (./rocker serve)\n", err);
        assertEquals(125, main("ls", "--local"));
        assertEquals(Identity.ofThisProcess().uid() == 0
                ? "rocker: sys: no in-process engine without the launcher: java -jar rocker.jar (./rocker starts it for --local)\n"
                : "rocker: sys: --local needs root (the engine runs in this process); use the server instead\n", err);
    }
}
