package rocker.impl.linux;

import java.io.IOException;
import java.io.InputStream;
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

import rocker.impl.linux.sys.Errno;
import rocker.impl.linux.sys.Fd;
import rocker.impl.linux.sys.Posix;
import rocker.impl.linux.sys.SysException;

/**
 * The rockers, one file each under {@code <state dir>/rockers/} (NAME.rocker, and NAME.sock: the
 * status socket its guard listens on), so that a new engine (after a bundle update, a server or
 * framework restart, a crash) lists, adopts and destroys the rockers it did not make. Records are
 * written ahead of each step of a rocker's life ({@link RockerRecord.State}), each write atomic (write,
 * rename; no sync: records only need to outlive the engine's process, and the page cache does). An unreadable record is reported and put aside as NAME.bad, never
 * fatal. Running records whose guard is gone are pruned when read.
 */
final class Registry {
    private static final Logger LOG = LoggerFactory.getLogger(Registry.class);
    private static final String SUFFIX = ".rocker";
    static final String SOCKET_SUFFIX = ".sock";
    private final Path dir;
    /** Running records read so far, by guard name (a running record changes no more; the files stay the truth). */
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
        byte[] text = r.toText().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1); // all ASCII: escaped
        int d = openDir();
        try {
            // named by its writer, so that a new engine can remove what a killed one left between write and rename
            String tmp = "." + r.name + "." + RockerRecord.SELF_PID + ".tmp";
            int fd = Fd.openat(d, tmp, Posix.O_WRONLY | Posix.O_CREAT | Posix.O_TRUNC | Fd.O_NOFOLLOW, 0600, dir + "/" + tmp);
            try {
                Fd.writeAll(fd, text, dir + "/" + tmp);
            } finally {
                Posix.close(fd);
            }
            // no fdatasync: a record describes processes, and no process outlives a machine crash; a crash of
            // the engine's process (what records are for) loses nothing of the page cache. A record torn by a
            // power cut would be put aside as .bad by the next engine, with nothing left to describe. No fsync
            // of the dir either: it would only make the rename itself survive a power cut, which no rocker the
            // record describes survives (readers see the old or the new record either way: rename is atomic).
            Fd.renameReplacing(d, tmp, r.name + SUFFIX, file(r.name).toString());
        } catch (SysException e) {
            throw new IOException(e.getMessage(), e);
        } finally {
            Posix.close(d);
        }
        if (r.state.runs()) cache.put(r.name, r);
        else cache.remove(r.name);
    }

    /** The registry dir, opened (made when missing, 0700); no symbolic link followed on the way. */
    private int openDir() throws IOException {
        try {
            return Fd.openNoMagicLinks(dir.toString(), Posix.O_RDONLY | Fd.O_DIRECTORY, 0);
        } catch (SysException e) {
            if (e.errno() != Errno.ENOENT) throw new IOException(e.getMessage(), e);
        }
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        try {
            return Fd.openNoMagicLinks(dir.toString(), Posix.O_RDONLY | Fd.O_DIRECTORY, 0);
        } catch (SysException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** Removes the temporary record files whose writer is gone (a kill between write and rename); returns how many. */
    int removeStaleTemporaries() {
        int removed = 0;
        if (!Files.isDirectory(dir)) return 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, ".*.tmp")) {
            for (Path f : files) {
                String n = f.getFileName().toString();
                String[] parts = n.substring(1, n.length() - 4).split("\\.");
                boolean writerGone;
                try {
                    writerGone = parts.length != 2 || !ProcessHandle.of(Long.parseLong(parts[1])).map(ProcessHandle::isAlive).orElse(false);
                } catch (NumberFormatException e) {
                    writerGone = true;
                }
                if (writerGone && Files.deleteIfExists(f)) removed++;
            }
        } catch (IOException e) {
            LOG.warn("cannot clean the rocker registry {}: {}", dir, e.toString());
        }
        return removed;
    }

    /** Removes the record and status socket of {@code name}. */
    void remove(String name) {
        cache.remove(name);
        try {
            Files.deleteIfExists(file(name));
            Files.deleteIfExists(dir.resolve(name + SOCKET_SUFFIX));
        } catch (IOException e) {
            LOG.warn("cannot remove the record of rocker {}: {}", name, e.toString());
        }
    }

    boolean contains(String name) {
        return Files.exists(file(name));
    }

    /** Whether a record of {@code name} exists, readable or put aside as unreadable. */
    boolean containsAny(String name) {
        return contains(name) || Files.exists(dir.resolve(name + ".bad"));
    }

    /** The record of a live running rocker with this name; a stale record is pruned. */
    Optional<RockerRecord> find(String name) {
        if (!GuardNames.looksLikeGuardName(name)) return Optional.empty();
        RockerRecord r = cache.get(name);
        if (r == null) r = load(file(name)).orElse(null);
        return Optional.ofNullable(r).filter(x -> x.state.runs()).filter(this::aliveOrPrune);
    }

    /** Every live running rocker; stale records are pruned. */
    List<RockerRecord> live() {
        return live(r -> true);
    }

    /** The live running rockers {@code which} selects (by their records, before their guards are checked for life); stale ones of those are pruned. */
    List<RockerRecord> live(java.util.function.Predicate<RockerRecord> which) {
        List<RockerRecord> out = new ArrayList<>();
        for (RockerRecord r : all()) {
            if (r.state.runs() && which.test(r) && aliveOrPrune(r)) out.add(r);
        }
        out.sort((a, b) -> a.created.compareTo(b.created));
        return out;
    }

    /** Every readable record in the registry dir, whatever its state (file names are guard names). */
    List<RockerRecord> all() {
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
                    if (r != null && r.state.runs()) cache.put(name, r);
                }
                if (r != null) out.add(r);
            }
        } catch (IOException e) {
            LOG.warn("cannot read the rocker registry {}: {}", dir, e.toString());
        }
        cache.keySet().retainAll(seen);
        return out;
    }

    /**
     * A listening socket at {@code name}'s status socket path, for its guard to hold (a stale file of that
     * name is replaced: names are unique, and the record of the name is ours).
     */
    int listenStatus(String name) {
        return atStatusSocket(name, path -> {
            Files.deleteIfExists(dir.resolve(name + SOCKET_SUFFIX));
            return Posix.listenSeqpacket(path, 8);
        });
    }

    /** A connection to the status socket of {@code name}'s guard. */
    int connectStatus(String name) {
        return atStatusSocket(name, Posix::connectSeqpacket);
    }

    private interface SocketCall {
        int at(String path) throws IOException;
    }

    /** Names the socket through an opened dir ({@code /proc/self/fd/N/NAME.sock}): a long state dir still fits. */
    private int atStatusSocket(String name, SocketCall call) {
        int d = Fd.openNoMagicLinks(dir.toString(), Fd.O_PATH | Fd.O_DIRECTORY, 0);
        try {
            return call.at(Fd.procPath(d) + "/" + name + SOCKET_SUFFIX);
        } catch (IOException e) {
            throw new SysException("replace", dir.resolve(name + SOCKET_SUFFIX).toString(), Errno.EIO);
        } finally {
            Posix.close(d);
        }
    }

    private boolean aliveOrPrune(RockerRecord r) {
        if (r.isAlive()) return true;
        LOG.debug("rocker {} (guard pid {}) is gone; pruning its record", r.name, r.guardPid);
        remove(r.name);
        Keepers.reapIfOurs(r.keeperPid);
        onPrune.accept(r.name);
        return false;
    }

    /** A record, or nothing: a record that cannot be read is reported and put aside as NAME.bad. */
    private Optional<RockerRecord> load(Path f) {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(f)) {
            p.load(in);
            return Optional.of(RockerRecord.fromProperties(p));
        } catch (java.nio.file.NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            // not the record's fault (EMFILE, EIO): kept, and read again next time
            LOG.warn("cannot read the rocker record {}: {}", f, e.toString());
            return Optional.empty();
        } catch (RuntimeException e) {
            String file = f.getFileName().toString();
            Path aside = f.resolveSibling(file.substring(0, file.length() - SUFFIX.length()) + ".bad");
            LOG.warn("unreadable rocker record {} ({}), put aside as {}", f, e.toString(), aside.getFileName());
            try {
                Files.move(f, aside, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException moveFailed) {
                LOG.warn("cannot put {} aside: {}", f, moveFailed.toString());
            }
            return Optional.empty();
        }
    }

    private Path file(String name) {
        return dir.resolve(name + SUFFIX);
    }
}
