package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import rocker.testsupport.WorkDirs;

/** Which engines live on a state dir: the shared lock each holds, and the last one's exclusive lock at its close. */
public class EnginePresenceTest {
    private Path state;

    @Before
    public void setUp() throws Exception {
        state = WorkDirs.create(Path.of("/tmp"), "rocker-presence-").resolve("state");
    }

    @After
    public void tearDown() {
        WorkDirs.deleteQuietly(state.getParent());
    }

    @Test
    public void onlyTheLastEngineToStopFindsItselfLast() throws Exception {
        EnginePresence a = new EnginePresence(state, EnginePresence.PATIENCE);
        EnginePresence b = new EnginePresence(state, EnginePresence.PATIENCE);
        try {
            lastOfTwo(a, b);
        } finally {
            a.close();
            b.close();
        }
    }

    private void lastOfTwo(EnginePresence a, EnginePresence b) throws Exception {
        assertTrue("made with the state dir", Files.isRegularFile(state.resolve(EnginePresence.FILE)));
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(state.resolve(EnginePresence.FILE), java.nio.file.LinkOption.NOFOLLOW_LINKS)));
        try {
            assertFalse("b lives", a.last());
            // a's failed attempt gave up its shared lock: of two engines that stop together, one is last
            assertTrue(b.last());
        } finally {
            a.close();
        }

        // an engine that starts while the last one releases waits for it
        CompletableFuture<EnginePresence> c = CompletableFuture.supplyAsync(() -> new EnginePresence(state, EnginePresence.PATIENCE));
        try {
            c.get(300, TimeUnit.MILLISECONDS);
            throw new AssertionError("a new engine did not wait for the last one's release");
        } catch (TimeoutException expected) {
            // waiting
        }
        b.close();
        EnginePresence started = c.get(10, TimeUnit.SECONDS);
        try {
            assertTrue("alone now", started.last());
        } finally {
            started.close();
        }
    }

    @Test
    public void aStartGivesUpAfterItsPatienceWhenTheLastEngineDoesNotEnd() throws Exception {
        EnginePresence stuck = new EnginePresence(state, EnginePresence.PATIENCE);
        try {
            assertTrue(stuck.last());
            new EnginePresence(state, java.time.Duration.ofMillis(200)).close();
            throw new AssertionError("a start waited for ever, or did not wait");
        } catch (rocker.impl.linux.sys.SysException e) {
            assertEquals("flock " + state.resolve(EnginePresence.FILE) + " (held exclusively for 200 ms: an engine that stops there"
                    + " does not end): errno 11 (Resource temporarily unavailable)", e.getMessage());
        } finally {
            stuck.close();
        }
    }

    @Test
    public void aLinkInPlaceOfTheLockFileIsNotFollowed() throws Exception {
        Files.createDirectories(state);
        Path target = state.getParent().resolve("elsewhere");
        Files.writeString(target, "kept\n");
        Files.createSymbolicLink(state.resolve(EnginePresence.FILE), target);
        try {
            new EnginePresence(state, EnginePresence.PATIENCE).close();
            throw new AssertionError("a link was followed");
        } catch (rocker.impl.linux.sys.SysException e) {
            assertTrue(e.getMessage(), e.getMessage().startsWith("open " + state.resolve(EnginePresence.FILE) + ": errno 40 "));
        }
        assertEquals("kept\n", Files.readString(target));
    }
}
