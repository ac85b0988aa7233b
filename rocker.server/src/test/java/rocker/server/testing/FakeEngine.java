package rocker.server.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import rocker.api.RockerApp;
import rocker.api.RockerCaller;
import rocker.api.RockerClient;
import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.api.RockerInfo;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.api.RockerStats;
import rocker.api.Stdio;

/**
 * A test double of the RockerClient API (not of the kernel): remembers rockers in memory, "runs" an
 * app by writing fixed bytes to streamed stdout/stderr and ending with {@link #exitStatus}.
 */
public final class FakeEngine implements RockerClient, rocker.api.RockerPreparer {
    public final List<RockerRequest> requests = new CopyOnWriteArrayList<>();
    public final List<RockerApp> apps = new CopyOnWriteArrayList<>();
    public volatile String stdoutText = "hello from the app\n";
    public volatile String stderrText = "a warning\n";
    public volatile int exitStatus = 7;
    /** When true, apps run until {@link #finish(String)}. */
    public volatile boolean holdApps;

    private final Map<String, Rocker> rockers = new ConcurrentHashMap<>();
    /** The figures {@link #stats(String)} and {@link #list()} tell, by guard name; a rocker not here has none (unknown). */
    public final Map<String, RockerStats> stats = new ConcurrentHashMap<>();
    private final AtomicInteger counter = new AtomicInteger();

    private static final class Rocker {
        final RockerInfo info;
        final CountDownLatch ended = new CountDownLatch(1);
        final java.util.concurrent.CompletableFuture<Integer> exit = new java.util.concurrent.CompletableFuture<>();

        void end(int status) {
            exit.complete(status);
            ended.countDown();
        }

        Rocker(RockerInfo info) {
            this.info = info;
        }
    }

    /** Rockers prepared to be entered, then started ("NAME PID") or abandoned (NAME), in order. */
    public final List<String> prepared = new CopyOnWriteArrayList<>();
    public final List<String> started = new CopyOnWriteArrayList<>();
    public final List<String> abandoned = new CopyOnWriteArrayList<>();

    /** The filter a prepared rocker gets (one BPF instruction: return ALLOW). */
    public static final byte[] FILTER = {0, 6, 0, 0, 0x7f, (byte) 0xff, 0, 0};

    @Override
    public rocker.api.PreparedRocker prepare(RockerRequest request, RockerCaller caller) {
        callers.add(caller);
        try {
            request.validate();
        } catch (RockerException e) {
            return rocker.api.PreparedRocker.failed(e.toResult());
        }
        String name = "rocker-enter-" + counter.incrementAndGet();
        prepared.add(name);
        return rocker.api.PreparedRocker.ready(RockerResult.success(0, 30_000, name, "ready"), FILTER,
                List.of("/sys/fs/cgroup/pids/" + name + "/cgroup.procs"));
    }

    @Override
    public RockerResult started(String guardName, int appPid) {
        started.add(guardName + " " + appPid);
        return RockerResult.success(appPid, 30_000, guardName, "entered");
    }

    @Override
    public RockerResult abandon(String guardName) {
        abandoned.add(guardName);
        return RockerResult.success(0, 30_000, guardName, "torn down");
    }

    /** The image identity {@link #list()} tells, by guard name; a rocker not here has none (unknown). */
    public final Map<String, String> images = new ConcurrentHashMap<>();

    /** When true, {@link #list()} (and so the default find) fails, as the server's engine does while none is bound. */
    public volatile boolean failLookups;

    /** How many times {@link #list()} was called (a command that needs no list makes none). */
    public final AtomicInteger lists = new AtomicInteger();

    /** The caller of each request, in order ({@link RockerCaller#engine()} for the two-argument call). */
    public final List<RockerCaller> callers = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public RockerResult enterRocker(RockerRequest request, RockerApp app, RockerCaller caller) {
        callers.add(caller);
        return enter(request, app);
    }

    @Override
    public RockerResult enterRocker(RockerRequest request, RockerApp app) {
        callers.add(RockerCaller.engine());
        return enter(request, app);
    }

    private RockerResult enter(RockerRequest request, RockerApp app) {
        try {
            request.validate();
            app.validate();
        } catch (RockerException e) {
            return e.toResult();
        }
        requests.add(request);
        apps.add(app);
        int n = counter.incrementAndGet();
        String name = "rocker-fake-" + n;
        Rocker r = new Rocker(new RockerInfo(name, 10_000 + n, 20_000 + n, Instant.now(), request));
        rockers.put(name, r);
        Thread t = new Thread(() -> runApp(r, app), "fake-app-" + n);
        t.setDaemon(true);
        t.start();
        return RockerResult.success(r.info.appPid(), r.info.guardPid(), name, "started");
    }

    private void runApp(Rocker r, RockerApp app) {
        emit(app.stdout(), stdoutText);
        emit(app.stderr(), stderrText);
        if (!holdApps) {
            r.end(exitStatus);
        }
    }

    private static void emit(Stdio s, String text) {
        if (s.kind() == Stdio.Kind.STREAM) {
            try (OutputStream out = s.stream()) {
                out.write(text.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                // the reader went away
            }
        }
    }

    /** Ends the app of a held rocker. */
    public void finish(String name) {
        rockers.get(name).end(exitStatus);
    }

    /** Adds a rocker as if made earlier. */
    public RockerInfo adopt(String name, int guardPid, RockerRequest request, Instant created) {
        Rocker r = new Rocker(new RockerInfo(name, guardPid, guardPid + 1, created, request));
        rockers.put(name, r);
        return r.info;
    }

    @Override
    public RockerResult getGuardName(int pid) {
        return rockers.values().stream().filter(r -> r.info.guardPid() == pid).findFirst()
                .map(r -> RockerResult.success(0, pid, r.info.guardName(), ""))
                .orElse(RockerResult.failure(RockerError.GET_GUARDNAME_FAILED, "no process " + pid));
    }

    @Override
    public RockerResult destroy(String guardName) {
        Rocker r = rockers.remove(guardName);
        return r == null ? RockerResult.failure(RockerError.PARAM_INVALID, "no rocker " + guardName)
                : RockerResult.success(0, r.info.guardPid(), guardName, "destroyed");
    }

    @Override
    public RockerResult destroy(int guardPid, String expectedName) {
        Rocker r = rockers.get(expectedName);
        if (r == null || r.info.guardPid() != guardPid) {
            return RockerResult.failure(RockerError.GET_GUARDNAME_FAILED, "pid " + guardPid + " is not " + expectedName);
        }
        return destroy(expectedName);
    }

    @Override
    public List<RockerInfo> list() {
        lists.incrementAndGet();
        if (failLookups) throw new rocker.api.RockerException(rocker.api.RockerError.SYS, "no engine in the moment (FakeEngine.failLookups)");
        List<RockerInfo> list = new ArrayList<>();
        rockers.values().forEach(r -> {
            RockerInfo i = r.info;
            RockerStats s = stats.get(i.guardName());
            list.add(new RockerInfo(i.guardName(), i.guardPid(), i.appPid(), i.created(), i.request(), s, images.get(i.guardName())));
        });
        list.sort((a, b) -> a.guardName().compareTo(b.guardName()));
        return list;
    }

    /** How many times {@link #listOfUid} was called. */
    public final AtomicInteger uidLists = new AtomicInteger();

    /** {@link #list()}'s rockers of {@code uid}, without figures, as the engine's (its figures come from {@link #stats}). */
    @Override
    public List<RockerInfo> listOfUid(int uid) {
        uidLists.incrementAndGet();
        if (failLookups) throw new rocker.api.RockerException(rocker.api.RockerError.SYS, "no engine in the moment (FakeEngine.failLookups)");
        List<RockerInfo> list = new ArrayList<>();
        rockers.values().forEach(r -> {
            RockerInfo i = r.info;
            if (i.request().uid() == uid) list.add(new RockerInfo(i.guardName(), i.guardPid(), i.appPid(), i.created(), i.request(), null, images.get(i.guardName())));
        });
        list.sort((a, b) -> a.guardName().compareTo(b.guardName()));
        return list;
    }

    /** The figures set in {@link #stats} for a live rocker; empty for an unknown rocker or one without. */
    @Override
    public Optional<RockerStats> stats(String guardName) {
        return rockers.containsKey(guardName) ? Optional.ofNullable(stats.get(guardName)) : Optional.empty();
    }

    @Override
    public java.util.concurrent.CompletionStage<Integer> onAppExit(String guardName) {
        Rocker r = rockers.get(guardName);
        if (r == null) {
            return java.util.concurrent.CompletableFuture.failedStage(new RockerException(RockerError.PARAM_INVALID, "no rocker " + guardName));
        }
        // as the engine's: a stage of its own, which cancelling unsubscribes
        java.util.concurrent.CompletableFuture<Integer> w = new java.util.concurrent.CompletableFuture<>();
        watches.add(w);
        w.whenComplete((v, e) -> watches.remove(w));
        r.exit.thenAccept(w::complete);
        return w;
    }

    /** The stages of onAppExit that wait now. */
    public final java.util.Set<java.util.concurrent.CompletableFuture<Integer>> watches = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @Override
    public OptionalInt waitForApp(String guardName, Duration timeout) {
        Rocker r = rockers.get(guardName);
        if (r == null) {
            throw new RockerException(RockerError.PARAM_INVALID, "no rocker " + guardName);
        }
        try {
            return r.ended.await(timeout.toMillis(), TimeUnit.MILLISECONDS) ? OptionalInt.of(exitStatus) : OptionalInt.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalInt.empty();
        }
    }
}
