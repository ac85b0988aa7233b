package rocker.bench;

import java.io.EOFException;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * The floor of a client command: {@code java -cp BENCH rocker.bench.ListFloor SOCKET}, a plain JVM that
 * sends the LIST frame {@code rocker ls} sends (protocol version 2: length 3, type 0x05, version 2) over
 * the JDK's Unix socket, reads the reply frame and prints its type and length. JDK only, no Rocker class:
 * what any JVM pays to ask the server once. CliBench compares {@code ./rocker ls} with it.
 */
public final class ListFloor {
    /** The LIST frame of protocol version 2, as CallCodec encodes it (checked by CliBench). */
    static final byte[] LIST_V2 = {0, 0, 0, 3, 0x05, 0, 2};

    private ListFloor() {
    }

    public static void main(String[] args) throws IOException {
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(args[0]))) {
            ch.write(ByteBuffer.wrap(LIST_V2));
            ByteBuffer header = ByteBuffer.allocate(4);
            readFully(ch, header);
            int length = header.flip().getInt();
            ByteBuffer frame = ByteBuffer.allocate(length);
            readFully(ch, frame);
            System.out.println("type 0x" + Integer.toHexString(frame.get(0) & 0xff) + ", " + length + " bytes");
        }
    }

    private static void readFully(SocketChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new EOFException("the server closed the connection");
            }
        }
    }
}
