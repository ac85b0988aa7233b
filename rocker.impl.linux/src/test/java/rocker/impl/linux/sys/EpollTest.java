package rocker.impl.linux.sys;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.After;
import org.junit.Test;

/**
 * The epoll binding against the real kernel: each event names its descriptor (the struct's layout on
 * this CPU), readiness is level-triggered as poll(2)'s, a hang-up is reported, a removed descriptor is not,
 * and more ready descriptors than one wait returns come with the next.
 */
public class EpollTest {
    private final List<int[]> pipes = new ArrayList<>();
    private final Epoll epoll = new Epoll();

    @After
    public void close() {
        epoll.close();
        for (int[] p : pipes) {
            Posix.close(p[0]);
            Posix.close(p[1]);
        }
    }

    private int[] pipe() {
        int[] p = Posix.pipe();
        pipes.add(p);
        epoll.add(p[0]);
        return p;
    }

    private int[] ready(int timeoutMillis) {
        int[] out = new int[Epoll.MAX_EVENTS];
        int n = epoll.await(out, timeoutMillis);
        int[] r = Arrays.copyOf(out, n);
        Arrays.sort(r);
        return r;
    }

    @Test
    public void eachEventNamesItsDescriptorAndStaysWhileUnread() {
        int[] a = pipe();
        int[] b = pipe();
        int[] c = pipe();
        assertEquals("nothing ready", 0, ready(0).length);
        Posix.writeByte(b[1]);
        assertArrayEquals(new int[] {b[0]}, ready(1000));
        assertArrayEquals("level-triggered: still unread", new int[] {b[0]}, ready(0));
        Posix.read(b[0], 16);
        assertEquals(0, ready(0).length);
        Posix.close(c[1]);
        c[1] = -1;
        Posix.writeByte(a[1]);
        int[] both = {a[0], c[0]};
        Arrays.sort(both);
        assertArrayEquals("a byte, and a hang-up", both, ready(1000));
    }

    @Test
    public void aRemovedDescriptorIsNotReported() {
        int[] a = pipe();
        int[] b = pipe();
        epoll.remove(a[0]);
        Posix.writeByte(a[1]);
        Posix.writeByte(b[1]);
        assertArrayEquals(new int[] {b[0]}, ready(1000));
    }

    @Test
    public void moreThanOneWaitReturnsComeWithTheNext() {
        int n = Epoll.MAX_EVENTS + 10;
        for (int i = 0; i < n; i++) Posix.writeByte(pipe()[1]);
        int[] first = new int[Epoll.MAX_EVENTS];
        assertEquals(Epoll.MAX_EVENTS, epoll.await(first, 1000));
        for (int fd : first) Posix.read(fd, 16);
        assertEquals(10, ready(1000).length);
    }
}
