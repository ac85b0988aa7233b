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
    /** Records read so far, by guard name; the files stay the truth (another engine may add some). */
    private final java.util.Map<String, RockerRecord> cache = new java.util.concurrent.ConcurrentHashMap<>();

    /** Told the name of each rocker whose record is pruned (its cgroups are removed). */
    private final java.util.function.Consumer<String> onPrune;

    Registry(Path stateDir) {
        this(stateDir, name -> { });
    }

    Registry(Path stateDir, java.util.function.Consumer<String> onPrune) {
        this.dir = stateDir.resolve("rockers");
        this.onPrune = onPrune;
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
        cache.put(r.name, r);
    }

    void remove(String name) {
        cache.remove(name);
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
        for (RockerRecord r : recorded()) {
            if (aliveOrPrune(r)) out.add(r);
        }
        out.sort((a, b) -> a.created.compareTo(b.created));
        return out;
    }

    /**
     * A live rocker whose data dir is {@code dataDir}, holds it or lies in it. Only the records whose
     * data dir is related are checked for life, so this stays cheap with hundreds of rockers.
     */
    Optional<RockerRecord> usingDataDir(String dataDir) {
        for (RockerRecord r : recorded()) {
            String other = r.request.dataDir();
            boolean related = other.equals(dataDir) || dataDir.startsWith(other + "/") || other.startsWith(dataDir + "/");
            if (related && aliveOrPrune(r)) return Optional.of(r);
        }
        return Optional.empty();
    }

    /** The records in the registry dir, read once each (file names are guard names). */
    private List<RockerRecord> recorded() {
        List<RockerRecord> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            cache.clear();
            return out;
        }
        java.util.Set<String> seen = new java.util.HashSet<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path f : files) {
                String file = f.getFileName().toString();
                String name = file.substring(0, file.length() - SUFFIX.length());
                seen.add(name);
                RockerRecord r = cache.get(name);
                if (r == null) {
                    r = load(f).orElse(null);
                    if (r != null) cache.put(name, r);
                }
                if (r != null) out.add(r);
            }
        } catch (IOException e) {
            LOG.warn("cannot read the rocker registry {}: {}", dir, e.toString());
        }
        cache.keySet().retainAll(seen);
        return out;
    }

    private boolean aliveOrPrune(RockerRecord r) {
        if (r.isAlive()) return true;
        LOG.debug("rocker {} (guard pid {}) is gone; pruning its record", r.name, r.guardPid);
        remove(r.name);
        Keepers.reapIfOurs(r.keeperPid);
        onPrune.accept(r.name);
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
