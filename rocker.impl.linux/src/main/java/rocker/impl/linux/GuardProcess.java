package rocker.impl.linux;

import rocker.api.NetworkMode;
import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.api.RockerRequest;
import rocker.impl.linux.sys.Posix;
import rocker.impl.linux.sys.SysException;

/**
 * Starts a rocker's keeper and guard (rocker-guard, through posix_spawn: no Java code runs in a
 * child) and holds the engine's end of the guard's control socket.
 */
final class GuardProcess {
    static final int HANDSHAKE_TIMEOUT_MS = 10_000;
    static final int MAX_MESSAGE = 64 * 1024;

    final String name;
    /** The rocker's name, given before the guard was spawned: its record's, and in its command line. */
    final String recordName;
    final int keeperPid;
    final int guardPid;
    final long guardStart;
    final int control;
    /**
     * Whether it already runs in a cgroup of its rocker's name, with the default limits (a spare: moving
     * processes between cgroups is slow on v1, so it is done before a request waits for it).
     */
    volatile boolean inCgroup;
    /** The host's mount table generation ({@link HostMountWatch}) before it was spawned: its namespace is a copy of that. */
    volatile long hostGeneration;
    /** What a spare's namespace got when it was made (its mounts noted, its /dev and masks built), or null. */
    volatile SpareMounts mounts;
    /** A spare's listening status socket, made ahead of need (a request takes it: {@link #takeStatusSocket}), or -1. */
    private int statusSocket = -1;

    synchronized void holdStatusSocket(int fd) {
        statusSocket = fd;
    }

    /** The status socket made ahead of need, now the caller's to close; -1 when there is none. */
    synchronized int takeStatusSocket() {
        int fd = statusSocket;
        statusSocket = -1;
        return fd;
    }

    synchronized void closeStatusSocket() {
        Posix.close(takeStatusSocket());
    }

    private GuardProcess(String name, String recordName, int keeperPid, int guardPid, long guardStart, int control) {
        this.name = name;
        this.recordName = recordName;
        this.keeperPid = keeperPid;
        this.guardPid = guardPid;
        this.guardStart = guardStart;
        this.control = control;
    }

    /**
     * The spawn-time mode of a guard: its network namespace and whether it ends with its app. A guard
     * gets its name, hostname and the app's stdio later, with the app request.
     */
    static String flags(RockerRequest request) {
        return "-" + (request.network() == NetworkMode.NONE ? "n" : "") + (request.removeOnExit() ? "r" : "");
    }

    /**
     * Spawns a keeper and its guard in the mode {@code flags}, named {@code name} until the app request
     * renames it; {@code recordName} and {@code stateKey} (its registry's) go on its command line, where
     * reconciliation finds them. On failure nothing is left running.
     */
    static GuardProcess start(String guardPath, String name, String flags, String recordName, String stateKey) {
        int[] pair = Posix.seqpacketPair();
        int keeper = -1;
        int guardPid = -1;
        int devNull = -1;
        try {
            Posix.passCredentials(pair[0]);
            devNull = Posix.open("/dev/null", Posix.O_RDWR, 0);
            keeper = Posix.spawn(guardPath, new String[] {"rocker-guard", name, name, flags, recordName, stateKey}, new String[0],
                    new int[] {devNull, devNull, devNull, pair[1]});
            Posix.close(devNull);
            devNull = -1;
            Posix.close(pair[1]);
            pair[1] = -1;
            guardPid = expect(pair[0], GuardMessage.PID, "the keeper").number(1);
            expect(pair[0], GuardMessage.READY, "the guard");
            long start = ProcStat.read(guardPid).map(s -> s.startTime).orElse(0L);
            return new GuardProcess(name, recordName, keeper, guardPid, start, pair[0]);
        } catch (RuntimeException e) {
            Posix.close(devNull);
            Posix.close(pair[0]);
            Posix.close(pair[1]);
            if (keeper > 0) {
                // killing the guard ends its pid namespace; its keeper then reaps it and exits
                int victim = guardPid > 0 ? guardPid : keeper;
                Posix.kill(victim, "pid " + victim);
                Keepers.reap(keeper);
            }
            if (e instanceof SysException) {
                throw new RockerException(RockerError.BUILD_ROCKER_FAILED, "cannot start the guard " + guardPath
                        + ": " + e.getMessage(), e);
            }
            throw e;
        }
    }

    /** The next message from the guard side, which must be of {@code kind}; else a failure. */
    static GuardMessage expect(int fd, String kind, String who) {
        GuardMessage m = next(fd, who);
        if (m.kind.equals(kind)) return m;
        if (m.isFailure()) throw m.failure(who, null);
        throw new RockerException(RockerError.BUILD_ROCKER_FAILED, who + " sent '" + m.kind + "', expected '" + kind + "'");
    }

    static GuardMessage next(int fd, String who) {
        if (!Posix.awaitReadable(fd, HANDSHAKE_TIMEOUT_MS)) {
            throw new RockerException(RockerError.BUILD_ROCKER_FAILED, who + " did not answer within "
                    + HANDSHAKE_TIMEOUT_MS + " ms");
        }
        Posix.Datagram d = Posix.receive(fd, MAX_MESSAGE);
        if (d == null) {
            throw new RockerException(RockerError.BUILD_ROCKER_FAILED, who + " ended without an answer");
        }
        return GuardMessage.of(d);
    }
}
