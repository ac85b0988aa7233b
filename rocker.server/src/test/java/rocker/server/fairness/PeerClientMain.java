package rocker.server.fairness;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import rocker.api.RockerApp;
import rocker.api.RockerException;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.api.Stdio;
import rocker.client.RemoteRockerClient;

/**
 * A client run as another user (and, for some tests, in another pid namespace) by the fairness and
 * peer tests. {@code SOCKET list}: one LIST. {@code SOCKET enter N}: N rockers for its own uid, then
 * destroys the first and asks once more. {@code SOCKET hold N SECONDS}: opens N connections, says how
 * many were answered "busy" at once and how many are held, and holds them. {@code SOCKET stream N}:
 * N streaming requests at once (the server's fake engine holds the apps), says how many were served.
 * One line per outcome on stdout.
 */
public final class PeerClientMain {
    private PeerClientMain() {
    }

    private static int uid;
    private static int gid;

    /** SOCKET UID GID MODE [N [SECONDS]]: UID and GID are the ids it asks rockers for (its own). */
    public static void main(String[] args) throws Exception {
        String socket = args[0];
        uid = Integer.parseInt(args[1]);
        gid = Integer.parseInt(args[2]);
        switch (args[3]) {
            case "list":
                list(socket);
                break;
            case "enter":
                enter(socket, Integer.parseInt(args[4]));
                break;
            case "hold":
                hold(socket, Integer.parseInt(args[4]), Integer.parseInt(args[5]));
                break;
            default:
                stream(socket, Integer.parseInt(args[4]));
        }
    }

    private static void list(String socket) {
        try (RemoteRockerClient c = new RemoteRockerClient(socket)) {
            System.out.println("LIST " + c.list().size());
        } catch (RockerException e) {
            System.out.println("ERROR " + e.error().seedName() + " " + e.getMessage());
        }
    }

    private static RockerRequest request(int i) {
        return RockerRequest.builder().appId(i).uid(uid()).gid(gid()).pkgPath("/tmp/app.squashfs").execDir("/opt/app")
                .dataDir("/tmp/data-" + i).build();
    }

    private static void enter(String socket, int n) {
        try (RemoteRockerClient c = new RemoteRockerClient(socket)) {
            String first = null;
            for (int i = 0; i < n; i++) {
                RockerResult r = c.enterRocker(request(i), RockerApp.of("/bin/true"));
                System.out.println("RESULT " + r.error().seedName() + " " + r.message());
                if (first == null && r.isSuccess()) first = r.guardName();
            }
            System.out.println("DESTROY " + c.destroy(first).error().seedName());
            RockerResult again = c.enterRocker(request(n), RockerApp.of("/bin/true"));
            System.out.println("AGAIN " + again.error().seedName() + " " + again.message());
        }
    }

    private static void hold(String socket, int n, int seconds) throws IOException, InterruptedException {
        List<SocketChannel> open = new ArrayList<>();
        int busy = 0;
        try (Selector selector = Selector.open()) {
            for (int i = 0; i < n; i++) {
                SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket));
                ch.configureBlocking(false);
                SelectionKey key = ch.register(selector, SelectionKey.OP_READ);
                // the server answers a connection over its share at once; a held one gets nothing
                if (selector.select(300) > 0 && ch.read(ByteBuffer.allocate(4096)) != 0) {
                    busy++;
                    ch.close();
                } else {
                    open.add(ch);
                }
                key.cancel();
                selector.selectNow();
                selector.selectedKeys().clear();
            }
        }
        System.out.println("HOLD held=" + open.size() + " busy=" + busy);
        System.out.flush();
        Thread.sleep(seconds * 1000L);
        for (SocketChannel ch : open) ch.close();
    }

    private static void stream(String socket, int n) throws InterruptedException {
        AtomicInteger served = new AtomicInteger();
        List<String> refusals = new java.util.concurrent.CopyOnWriteArrayList<>();
        CountDownLatch answered = new CountDownLatch(n);
        for (int i = 0; i < n; i++) {
            int id = i;
            Thread t = new Thread(() -> {
                RemoteRockerClient c = new RemoteRockerClient(socket);
                RockerApp app = RockerApp.builder().command("/bin/true").stdout(Stdio.stream(new ByteArrayOutputStream())).build();
                RockerResult r = c.enterRocker(request(id), app);
                if (r.isSuccess()) served.incrementAndGet();
                else refusals.add(r.error().seedName() + " " + r.message());
                answered.countDown();
            });
            t.setDaemon(true);
            t.start();
        }
        answered.await();
        System.out.println("STREAM served=" + served.get() + " refused=" + refusals.size() + " " + refusals);
        System.out.flush();
        Thread.sleep(3000); // keeps its streams open while the test asks for more
    }

    private static int uid() {
        return uid;
    }

    private static int gid() {
        return gid;
    }
}
