package rocker.server.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import org.junit.rules.ExternalResource;

import rocker.server.internal.ServerSettings;
import rocker.server.internal.UnixSocketServer;

/**
 * A real {@link UnixSocketServer} on a socket in a fresh temp dir (mode 0755, so other uids can reach
 * it), serving a {@link FakeEngine}; everything is closed and deleted after the test.
 */
public final class ServerFixture extends ExternalResource {
    public final FakeEngine engine = new FakeEngine();
    private final UnaryOperator<ServerSettings.Builder> tune;
    private Path dir;
    private UnixSocketServer server;

    public ServerFixture() {
        this(b -> b);
    }

    public ServerFixture(UnaryOperator<ServerSettings.Builder> tune) {
        this.tune = tune;
    }

    @Override
    protected void before() throws IOException {
        dir = Files.createTempDirectory("rocker-test");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        start();
    }

    @Override
    protected void after() {
        stop();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }

    public void start() throws IOException {
        server = new UnixSocketServer(settings(), engine);
        server.start();
    }

    public void stop() {
        if (server != null) {
            server.close();
            server = null;
        }
    }

    public ServerSettings settings() {
        return tune.apply(ServerSettings.builder().socketPath(socket()).stateDir(dir.resolve("state"))).build();
    }

    public UnixSocketServer server() {
        return server;
    }

    public Path dir() {
        return dir;
    }

    public Path socket() {
        return dir.resolve("rocker.sock");
    }
}
