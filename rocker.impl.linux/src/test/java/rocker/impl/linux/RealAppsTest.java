package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

import org.junit.Rule;
import org.junit.Test;

import rocker.api.RockerApp;
import rocker.api.RockerError;
import rocker.api.RockerResult;
import rocker.testsupport.Images;

/**
 * Real apps still work in the contained view of the host (read-only outside the overlays, own /tmp,
 * /run and /dev): a JVM serving HTTP and PostgreSQL, each answering the host over loopback.
 */
public class RealAppsTest {
    private static final String SERVER = String.join("\n",
            "import com.sun.net.httpserver.HttpServer;",
            "import java.net.InetSocketAddress;",
            "public class Hello {",
            "  public static void main(String[] a) throws Exception {",
            "    HttpServer s = HttpServer.create(new InetSocketAddress(\"127.0.0.1\", Integer.parseInt(a[0])), 0);",
            "    s.createContext(\"/\", x -> { byte[] b = (\"hello from \" + java.nio.file.Files.readString(",
            "        java.nio.file.Path.of(\"/proc/sys/kernel/hostname\")).trim()).getBytes();",
            "      x.sendResponseHeaders(200, b.length); x.getResponseBody().write(b); x.close(); });",
            "    s.start();",
            "  }",
            "}");

    @Rule
    public final EngineFixture fx = new EngineFixture();

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Polls {@code check} for up to 60 s; the last failure's text when it never answers. */
    private static String await(java.util.concurrent.Callable<String> check) throws Exception {
        long end = System.nanoTime() + 60_000_000_000L;
        Exception last = null;
        while (System.nanoTime() < end) {
            try {
                String r = check.call();
                if (r != null) return r;
            } catch (Exception e) {
                last = e;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no answer within 60 s: " + last);
    }

    @Test
    public void aJvmServesHttpToTheHost() throws Exception {
        Path src = Files.createDirectories(fx.work.resolve("hello-src"));
        Files.writeString(src.resolve("Hello.java"), SERVER);
        Path classes = Files.createDirectories(fx.work.resolve("hello-classes"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertEquals(0, javac.run(null, null, null, "-d", classes.toString(), src.resolve("Hello.java").toString()));
        Path image = Images.pack(fx.work, "jvm", classes);
        int port = freePort();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        RockerResult r = fx.engine.enterRocker(fx.request(image, "jvm").uid(1000).gid(1000).execDir("/opt/rocker-test-jvm")
                .hostname("jvm-in-a-rocker").build(),
                RockerApp.of(java, "-Xmx32m", "-XX:+UseSerialGC", "-cp", "/opt/rocker-test-jvm", "Hello", Integer.toString(port)));
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        String body = await(() -> {
            HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:" + port + "/").openConnection();
            c.setConnectTimeout(1000);
            c.setReadTimeout(5000);
            return new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        });
        assertEquals("hello from jvm-in-a-rocker", body);
    }

    @Test
    public void postgresqlAnswersTheHost() throws Exception {
        Path bin;
        try (var versions = Files.newDirectoryStream(Path.of("/usr/lib/postgresql"))) {
            bin = versions.iterator().next().resolve("bin");
        }
        int uid = Integer.parseInt(exec("id", "-u", "postgres").trim());
        int gid = Integer.parseInt(exec("id", "-g", "postgres").trim());
        int port = freePort();
        Path image = Images.build(fx.work, "pg", Map.of("pg.sh", String.join("\n",
                "set -e",
                "\"$PGBIN/initdb\" -D /tmp/pg -U postgres --auth=trust > /tmp/initdb.log",
                "exec \"$PGBIN/postgres\" -D /tmp/pg -k /tmp -p \"$PGPORT\" -c listen_addresses=127.0.0.1")));
        RockerResult r = fx.engine.enterRocker(fx.request(image, "pg").uid(uid).gid(gid).execDir("/opt/rocker-test-pg").build(),
                RockerApp.builder().command("/bin/sh", "/opt/rocker-test-pg/pg.sh").env("PGBIN", bin.toString())
                        .env("PGPORT", Integer.toString(port)).build());
        assertEquals(r.toString(), RockerError.SUCCESS, r.error());
        String answer = await(() -> {
            String out = exec("psql", "-h", "127.0.0.1", "-p", Integer.toString(port), "-U", "postgres", "-Atc", "select 40 + 2");
            return out.trim().equals("42") ? out.trim() : null;
        });
        assertEquals("42", answer);
        assertTrue("its cluster is in the data dir's own /tmp", Files.isDirectory(fx.work.resolve("data-pg/private/tmp/pg/base")));
    }

    private static String exec(String... argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of(argv)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IOException(String.join(" ", argv) + ": " + out);
        return out;
    }
}
