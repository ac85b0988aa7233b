package rocker.impl.linux;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live rockers, one file each under {@code <state dir>/rockers/}, so that a new engine (after a
 * bundle update, a server or framework restart) still lists and destroys the rockers it did not
 * make. Records whose guard is gone are pruned when read.
 */
final class Registry {
    private static final Logger LOG = LoggerFactory.getLogger(Registry.class);
    private static final String SUFFIX = ".rocker";
    private final Path dir;

    Registry(Path stateDir) {
        this.dir = stateDir.resolve("rockers");
    }

    Path dir() {
        return dir;
    }

    void record(RockerRecord r) throws IOException {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path tmp = dir.resolve("." + r.name + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            r.toProperties().store(out, "rocker " + r.name);
        }
        try {
            Files.move(tmp, file(r.name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file(r.name), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    void remove(String name) {
        try {
            Files.deleteIfExists(file(name));
        } catch (IOException e) {
            LOG.warn("cannot remove the record of rocker {}: {}", name, e.toString());
        }
    }

    boolean contains(String name) {
        return Files.exists(file(name));
    }

    /** The record of a live rocker with this name; a stale record is pruned. */
    Optional<RockerRecord> find(String name) {
        if (!GuardNames.looksLikeGuardName(name)) return Optional.empty();
        return load(file(name)).filter(this::aliveOrPrune);
    }

    /** Every live rocker; stale records are pruned. */
    List<RockerRecord> live() {
        List<RockerRecord> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) return out;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path f : files) {
                load(f).filter(this::aliveOrPrune).ifPresent(out::add);
            }
        } catch (IOException e) {
            LOG.warn("cannot read the rocker registry {}: {}", dir, e.toString());
        }
        out.sort((a, b) -> a.created.compareTo(b.created));
        return out;
    }

    private boolean aliveOrPrune(RockerRecord r) {
        if (r.isAlive()) return true;
        LOG.debug("rocker {} (guard pid {}) is gone; pruning its record", r.name, r.guardPid);
        remove(r.name);
        Keepers.reapIfOurs(r.keeperPid);
        return false;
    }

    private Optional<RockerRecord> load(Path f) {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(f)) {
            p.load(in);
            return Optional.of(RockerRecord.fromProperties(p));
        } catch (IOException e) {
            return Optional.empty();
        } catch (RuntimeException e) {
            LOG.warn("unreadable rocker record {}: {}", f, e.toString());
            return Optional.empty();
        }
    }

    private Path file(String name) {
        return dir.resolve(name + SUFFIX);
    }
}
