package rocker.server.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jnr.enxio.channels.Native;
import jnr.unixsocket.UnixServerSocketChannel;
import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;
import rocker.api.RockerClient;
import rocker.api.RockerError;
import rocker.api.RockerResult;
import rocker.client.protocol.Deadline;
import rocker.client.protocol.FrameChannel;
import rocker.client.protocol.Protocol;
import rocker.client.protocol.ReplyCodec;

/**
 * The Rocker server: listens on a Unix socket and serves every connection on a thread of its own (from a
 * pool: a thread idle for {@value #IDLE_THREAD_SECONDS} s ends; a thread made per connection cost a call
 * ~0.1 ms). One pool thread at a time accepts (it is named {@value #ACCEPT_NAME}); the one that accepts a
 * connection it will serve hands the accepting over to another pool thread and serves the connection
 * itself, so no thread's wake-up lies between the client's connect and its request being read
 * (leader/follower; a hand-over to a sleeping thread had cost each call ~0.05 ms). At most
 * {@link ServerSettings#maxConcurrentRequests()} at once (plus {@link ServerSettings#maxStreams()}
 * streaming ones); a connection over the limit gets a "server busy" RESULT at once. {@link #close()}
 * stops listening, removes the socket file and ends all connections; rockers are not touched.
 */
public final class UnixSocketServer implements AutoCloseable {
    /** Threads of this server are named with this prefix. */
    public static final String THREAD_PREFIX = "rocker-server-";
    static final int TICK_MILLIS = 200;
    private static final Logger LOG = LoggerFactory.getLogger(UnixSocketServer.class);
    private static final long STOP_GRACE_MILLIS = 5000;
    /** shutdown(2)'s SHUT_RD. */
    private static final int SHUT_RD = 0;

    private final ServerSettings settings;
    private final CallDispatcher dispatcher;
    private final SocketFile socketFile;
    private final FairShare requestPermits;
    private final FairShare streamPermits;
    private final Authorizer authorizer;
    /** How long a connection thread waits for the next connection before it ends. */
    static final int IDLE_THREAD_SECONDS = 2;
    /** What an idle connection thread is called. */
    static final String IDLE_NAME = THREAD_PREFIX + "conn-idle";
    private final Map<ConnectionHandler, Boolean> connections = new ConcurrentHashMap<>();
    private final java.util.concurrent.ThreadPoolExecutor connectionThreads = new java.util.concurrent.ThreadPoolExecutor(0,
            Integer.MAX_VALUE, IDLE_THREAD_SECONDS, TimeUnit.SECONDS, new java.util.concurrent.SynchronousQueue<>(), r -> {
                Thread t = new Thread(r, IDLE_NAME);
                t.setDaemon(true);
                return t;
            });
    private final StreamWaiters streamWaiters = new StreamWaiters();
    private final AtomicInteger connectionCount = new AtomicInteger();
    private volatile boolean stopping;
    private UnixServerSocketChannel listener;
    /** The accepting thread's name. */
    static final String ACCEPT_NAME = THREAD_PREFIX + "accept";
    /**
     * Threads that are in accept() or about to call it: {@link #close()} closes the listener only when none
     * is, and a thread counted here checks {@code stopping} before it calls accept(), so no accept() ever
     * runs on a descriptor number that may have been reused.
     */
    private final AtomicInteger accepting = new AtomicInteger();

    public UnixSocketServer(ServerSettings settings, RockerClient engine) {
        this.settings = settings;
        this.authorizer = new Authorizer(settings.trustedUids());
        this.dispatcher = new CallDispatcher(engine, authorizer, settings, () -> stopping, streamWaiters);
        this.socketFile = new SocketFile(settings.socketPath());
        this.requestPermits = new FairShare("connections", settings.maxConcurrentRequests());
        this.streamPermits = new FairShare("streams", settings.maxStreams());
    }

    /** Binds the socket, sets its mode and group and starts accepting. */
    public synchronized void start() throws IOException {
        if (listener != null) {
            throw new IllegalStateException("already started");
        }
        socketFile.prepare(settings.stateDir());
        UnixServerSocketChannel ch = UnixServerSocketChannel.open();
        try {
            Files.deleteIfExists(socketFile.bindPath());
            ch.socket().bind(new UnixSocketAddress(socketFile.bindPath().toFile()), 64);
            socketFile.publish(settings.socketMode(), settings.socketGroup());
        } catch (IOException | RuntimeException e) {
            ch.close();
            socketFile.remove();
            throw e;
        }
        listener = ch;
        try {
            connectionThreads.execute(this::acceptRole);
        } catch (OutOfMemoryError | java.util.concurrent.RejectedExecutionException e) {
            listener = null;
            closeQuietly(ch);
            socketFile.remove();
            throw new IOException("cannot start the accepting thread: " + e, e);
        }
        LOG.info("listening on {} (mode {}, group '{}')", settings.socketPath(),
                Integer.toOctalString(settings.socketMode()), settings.socketGroup());
    }

    public Path socketPath() {
        return settings.socketPath();
    }

    /** Connections being served now. */
    public int activeConnections() {
        return connections.size();
    }

    @Override
    public synchronized void close() {
        if (listener == null || stopping) {
            return;
        }
        stopping = true;
        // streamed runs stop waiting for their apps now, not at their next poll (the apps run on)
        streamWaiters.wakeAll();
        stopAccepting();
        awaitNoAccept(STOP_GRACE_MILLIS);
        try {
            listener.close();
        } catch (IOException e) {
            LOG.debug("closing the listener: {}", e.toString());
        }
        boolean removed = socketFile.remove();
        connections.keySet().forEach(ConnectionHandler::abort);
        connectionThreads.shutdown(); // idle threads end now, busy ones once their connection has
        try {
            connectionThreads.awaitTermination(STOP_GRACE_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.info("stopped listening on {}{}; {} connections still ending", settings.socketPath(),
                removed ? " and removed it" : "", connections.size());
    }

    /**
     * The accepting role: accepts until a connection is to be served, hands the role over to another pool
     * thread, then serves that connection on this thread. Connections refused at once (from a rocker not
     * trusted, over the limits) are answered here without giving up the role. Ends when the server stops.
     */
    private void acceptRole() {
        Thread me = Thread.currentThread();
        ConnectionHandler handler = null;
        while (handler == null) {
            me.setName(ACCEPT_NAME);
            try {
                ConnectionHandler next = acceptOne();
                if (next == null) {
                    me.setName(IDLE_NAME);
                    return; // stopping
                }
                me.setName(THREAD_PREFIX + "conn-" + connectionCount.incrementAndGet());
                if (handOverAccepting(next)) {
                    handler = next;
                } // else: no thread to be had, the connection was dropped: this one accepts on
            } catch (Throwable t) {
                // whatever failed, the server does not stop accepting: on another thread, or on this one
                me.setName(IDLE_NAME);
                if (stopping) throw t;
                LOG.error("the accepting thread failed: {}", t.toString());
                if (rearm()) throw t;
                pause();
            }
        }
        try {
            handler.run();
        } finally {
            me.setName(IDLE_NAME);
        }
    }

    /** Starts the accepting role on another pool thread; false when no thread can be had. */
    private boolean rearm() {
        try {
            connectionThreads.execute(this::acceptRole);
            return true;
        } catch (OutOfMemoryError | java.util.concurrent.RejectedExecutionException e) {
            LOG.error("cannot start an accepting thread, this one accepts on: {}", e.toString());
            return false;
        }
    }

    /** Accepts until a connection is admitted to be served (its handler), or null once the server stops. */
    private ConnectionHandler acceptOne() {
        while (true) {
            UnixSocketChannel ch;
            accepting.incrementAndGet();
            try {
                if (stopping) {
                    return null;
                }
                ch = listener.accept();
            } catch (IOException | RuntimeException e) {
                // after shutdown(2) jnr may say NotYetBoundException rather than an IOException
                if (!stopping) {
                    LOG.warn("accept failed: {}", e.toString());
                    pause();
                }
                continue;
            } finally {
                accepting.decrementAndGet();
            }
            if (ch == null) {
                continue;
            }
            if (stopping) {
                closeQuietly(ch);
                continue; // ends at the check above
            }
            ConnectionHandler handler;
            try {
                handler = admit(ch);
            } catch (RuntimeException | Error e) {
                closeQuietly(ch); // admit gave its slot back and unregistered it
                throw e;
            }
            if (handler != null) {
                return handler;
            }
            // refused and closed: accept the next one
        }
    }

    /**
     * Gives the accepting role to another pool thread before this one serves {@code handler}; when no
     * thread can be had, the connection is closed (its permits given back) and this thread accepts on.
     */
    private boolean handOverAccepting(ConnectionHandler handler) {
        try {
            connectionThreads.execute(this::acceptRole);
            return true;
        } catch (OutOfMemoryError | java.util.concurrent.RejectedExecutionException e) {
            if (!stopping) LOG.error("cannot start a connection thread: {}", e.toString());
            handler.dropUnserved();
            return false;
        }
    }

    /** Waits, at most {@code millis}, until no thread is in accept(). */
    private void awaitNoAccept(long millis) {
        long end = System.nanoTime() + millis * 1_000_000L;
        while (accepting.get() > 0 && System.nanoTime() - end < 0) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * The handler of accepted connection {@code ch}, registered and holding its permits; null when the
     * connection was refused (answered and closed here) or could not be set up.
     */
    private ConnectionHandler admit(UnixSocketChannel ch) {
        JnrTransport transport;
        try {
            transport = new JnrTransport(ch, TICK_MILLIS);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot set up a connection: {}", e.toString());
            closeQuietly(ch);
            return null;
        }
        FrameChannel fc = new FrameChannel(transport);
        Peer peer;
        try {
            SocketOptions.Ucred c = transport.peerCredentials();
            peer = PeerProcess.of(transport.fd(), c.pid(), c.uid(), c.gid());
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot read a client's credentials: {}", e.toString());
            closeQuietly(fc);
            return null;
        }
        boolean admitted;
        try {
            admitted = !peer.isForeign() || dispatcher.admits(peer);
        } catch (RuntimeException e) {
            // e.g. no engine in the moment to look the trusted rockers up in: refused (fail closed)
            LOG.warn("{}: cannot tell whether its rocker is trusted: {}", peer, e.toString());
            admitted = false;
        }
        if (!admitted) {
            // refused before it takes any slot: an app in a rocker (maybe uid 0) must not fill root's
            reject(fc, peer, RockerResult.failure(RockerError.SYS, "permission denied: " + CallDispatcher.FROM_A_ROCKER));
            return null;
        }
        // an app of a trusted rocker gets a user's share, whatever its uid
        boolean privileged = authorizer.privileged(peer) && !peer.isForeign();
        String busy = requestPermits.tryAcquire(peer.uid(), privileged);
        if (busy != null) {
            rejectBusy(fc, peer, busy);
            return null;
        }
        ConnectionHandler[] self = new ConnectionHandler[1];
        ConnectionPermits permits = null;
        try {
            permits = new ConnectionPermits(requestPermits, streamPermits, peer.uid(), privileged);
            self[0] = new ConnectionHandler(fc, peer, dispatcher, permits, settings, () -> connections.remove(self[0]));
            connections.put(self[0], Boolean.TRUE);
        } catch (RuntimeException | Error e) {
            // (an OutOfMemoryError) the slot is given back and nothing stays registered; the caller closes
            if (self[0] != null) {
                self[0].dropUnserved();
            } else if (permits != null) {
                permits.release();
            } else {
                requestPermits.release(peer.uid(), privileged);
            }
            throw e;
        }
        if (stopping) {
            // close() may have aborted the registered connections before this one was: not served
            self[0].dropUnserved();
            return null;
        }
        return self[0];
    }

    private void rejectBusy(FrameChannel fc, Peer peer, String why) {
        reject(fc, peer, RockerResult.failure(RockerError.SYS, "server busy: " + why));
    }

    /** Answers at once (a v1 RESULT, which every client reads) and closes, without reading the request. */
    private void reject(FrameChannel fc, Peer peer, RockerResult answer) {
        LOG.warn("{}: connection refused: {}", peer, answer.message());
        try {
            fc.write(Protocol.RESULT, ReplyCodec.result(answer),
                    Deadline.in(java.time.Duration.ofMillis(TICK_MILLIS)));
        } catch (IOException e) {
            LOG.debug("refusal not sent: {}", e.toString());
        }
        closeQuietly(fc);
    }

    /**
     * Unblocks the acceptor: shutdown(2) of the listening socket makes a blocked accept() fail at once
     * (EINVAL), and every later one, whatever became of the socket's file (removed or replaced: a
     * connection to the path then never reached us, and the stop waited {@value #STOP_GRACE_MILLIS} ms
     * for the acceptor). The descriptor stays valid until {@link UnixServerSocketChannel#close()}, so
     * the acceptor never calls accept() on a number that may be reused. Connecting is the fallback.
     */
    private void stopAccepting() {
        if (Native.shutdown(listener.getFD(), SHUT_RD) != 0) {
            wakeAcceptor();
        }
    }

    /** Unblocks accept() by connecting once; the acceptor sees {@code stopping} and ends. */
    private void wakeAcceptor() {
        try (UnixSocketChannel wake = UnixSocketChannel.open(new UnixSocketAddress(settings.socketPath().toFile()))) {
            LOG.trace("woke the acceptor: {}", wake.isConnected());
        } catch (IOException e) {
            LOG.debug("cannot wake the acceptor by connecting: {}", e.toString());
        }
    }

    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // nothing left to do
        }
    }
}
