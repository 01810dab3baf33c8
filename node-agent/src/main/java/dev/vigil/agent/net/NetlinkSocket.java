package dev.vigil.agent.net;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.vigil.agent.net.LinuxAbi.*;

/**
 * A NETLINK_ROUTE socket: requests with sequence numbers and acknowledgements, or a subscription to multicast
 * groups. Blocking, with a receive timeout; callers keep it off event loops.
 */
final class NetlinkSocket implements AutoCloseable {
    private static final int BUFFER = 64 * 1024; // a dump datagram is at most a page or two; be generous

    private final int fd;
    private final int timeoutMillis;
    private final AtomicInteger sequence = new AtomicInteger((int) (System.nanoTime() & 0x7FFF_FFFF));
    private final MessageBlock block = new MessageBlock(BUFFER);
    private volatile boolean closed;

    private NetlinkSocket(int fd, int timeoutMillis) {
        this.fd = fd;
        this.timeoutMillis = timeoutMillis;
    }

    /** Opens a socket in the calling thread's network namespace, subscribed to {@code groups} (0 for none). */
    static NetlinkSocket open(int groups, int timeoutMillis) throws LinuxCallFailed {
        int fd = Syscalls.socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE, "AF_NETLINK, NETLINK_ROUTE");
        try {
            ByteBuffer nl = ByteBuffer.allocate(SIZEOF_SOCKADDR_NL).order(ByteOrder.nativeOrder());
            nl.putShort(0, (short) AF_NETLINK).putInt(4, 0).putInt(8, groups);
            Syscalls.check(Syscalls.LIBC.bind(fd, nl.array(), SIZEOF_SOCKADDR_NL), "bind(netlink groups " + groups + ")");
            // Error texts from the kernel ("Error: ... "); older kernels refuse the option, which costs only the text.
            Syscalls.LIBC.setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, Syscalls.hostInt(1), 4);
            Syscalls.receiveTimeout(fd, timeoutMillis);
            Syscalls.setInt(fd, SOL_SOCKET, SO_RCVBUF, 1024 * 1024, "SO_RCVBUF");
            return new NetlinkSocket(fd, timeoutMillis);
        } catch (LinuxCallFailed e) {
            Syscalls.closeQuietly(fd);
            throw e;
        }
    }

    int nextSequence() {
        return sequence.incrementAndGet();
    }

    void send(byte[] message, String what) throws LinuxCallFailed {
        byte[] kernel = new byte[SIZEOF_SOCKADDR_NL];
        ByteBuffer.wrap(kernel).order(ByteOrder.nativeOrder()).putShort(0, (short) AF_NETLINK);
        long n = Syscalls.LIBC.sendto(fd, message, message.length, 0, kernel, kernel.length);
        if (n < 0) {
            throw Syscalls.failure(what, Syscalls.errno());
        }
    }

    /**
     * One datagram's messages from the kernel; empty when the receive timeout passed. ENOBUFS (the kernel dropped
     * notifications because we were slow) is thrown so subscribers can re-read the whole state.
     */
    List<NetlinkMessage> receive(String what) throws LinuxCallFailed {
        while (true) {
            block.prepareReceive();
            long n = Syscalls.LIBC.recvmsg(fd, block.header(), 0);
            if (n < 0) {
                int errno = Syscalls.errno();
                if (errno == EINTR) {
                    continue;
                }
                if (errno == EAGAIN) {
                    return List.of();
                }
                throw Syscalls.failure(what, errno);
            }
            if ((block.flags() & MSG_TRUNC) != 0) {
                throw new LinuxCallFailed(what, ENOBUFS, "netlink message truncated");
            }
            byte[] name = block.name();
            if (name.length >= 8 && ByteBuffer.wrap(name).order(ByteOrder.nativeOrder()).getInt(4) != 0) {
                continue; // not from the kernel (port id 0): ignore
            }
            return NetlinkMessage.split(block.data((int) n), (int) n);
        }
    }

    /**
     * Sends a request and collects its answer: the messages of a dump up to NLMSG_DONE, or nothing for an ACKed
     * change. A negative NLMSG_ERROR becomes a {@link LinuxCallFailed} with that errno and the kernel's text.
     */
    List<NetlinkMessage> request(byte[] message, int sequenceNumber, String what) throws LinuxCallFailed {
        send(message, what);
        List<NetlinkMessage> answer = new ArrayList<>();
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (true) {
            if (System.nanoTime() - deadline > 0) {
                throw new LinuxCallFailed(what, EAGAIN, "no answer from the kernel within " + timeoutMillis + " ms");
            }
            List<NetlinkMessage> batch = receive(what);
            for (NetlinkMessage m : batch) {
                if (m.sequence() != sequenceNumber) {
                    continue; // a late answer to an earlier, timed-out request
                }
                if (m.type() == NLMSG_ERROR) {
                    int error = m.error();
                    if (error == 0) {
                        return answer;
                    }
                    throw Syscalls.failure(what, -error, m.extendedAckText());
                }
                if (m.type() == NLMSG_DONE) {
                    return answer;
                }
                answer.add(m);
            }
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Syscalls.closeQuietly(fd);
        }
    }
}
