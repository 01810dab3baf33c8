package dev.vigil.agent.net;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import static dev.vigil.agent.net.LinuxAbi.*;

/**
 * Raw IP protocol 112 on one interface, for one family: receives adverts on a dedicated reader thread and sends
 * them to the multicast group or to unicast peers.
 *
 * <p>Mirrors keepalived's {@code open_vrrp_read_socket}/{@code open_vrrp_send_socket} (vrrp.c, vrrp_if.c):
 * <ul>
 * <li>IPv4 receives on a proto-112 socket bound to the device, joined to the group on that interface only, with
 * IP_MULTICAST_ALL off (else it would also see groups joined elsewhere on the host); it sends on a separate
 * IPPROTO_RAW socket writing its own header (TTL 255, TOS 0xC0, the chosen source), so the source in the VRRPv3
 * pseudo-header checksum is the one on the wire.
 * <li>IPv6 uses one socket: IPV6_CHECKSUM at offset 6 makes the kernel compute the v3 checksum on send (over the
 * real source) and drop bad ones on receive; hop limit 255; the chosen source goes in an IPV6_PKTINFO cmsg.
 * </ul>
 * Open it on the thread whose network namespace it should live in. {@link #send} never blocks (MSG_DONTWAIT), so
 * it may be called on a Vert.x event loop. The consumer runs on the reader thread: hop to the router's context.
 * Opened with {@link #openPolled} there is no reader thread: the owner registers {@link #receiveFd} with its own
 * epoll loop and calls {@link #drain} on readiness (the agent's daemon does this on its Vert.x event loop, so a
 * packet reaches its router without a thread hop).
 */
public final class VrrpSocket implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VrrpSocket.class);
    /**
     * close() wakes a blocked recvmsg at once with shutdown(SHUT_RD); the receive timeout is only the fallback
     * should that ever not wake it, and costs one wake-up per second.
     */
    static final int READ_WAKE_MILLIS = 1000;
    private static final int MAX_PACKET = 65_535;
    /** The largest IPv4 advert, header included (v2: 255 addresses and authentication: 1,056 bytes), rounded up. */
    private static final int IPV4_SEND_CAPACITY = 2048;
    /**
     * Receive buffer: 200 instances at advert_int 0.01 s are 20k packets/s, and the default (~208 KiB, about
     * 270 packets) would overflow during a 15 ms GC pause. 4 MiB holds about 200 ms.
     */
    static final int RECEIVE_BUFFER_BYTES = 4 << 20;

    private final VrrpSocketSpec spec;
    private final int interfaceIndex;
    private final int receiveFd;
    private final int sendFd;
    private final MessageBlock sendBlock;
    private final AtomicInteger identification = new AtomicInteger((int) System.nanoTime());
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong sent = new AtomicLong();
    private final Thread reader; // null when polled
    private final MessageBlock receiveBlock; // the polling thread's, when polled
    private long receiveErrors; // polling thread only
    private byte[] receiveBuffer = new byte[0]; // polling thread only: drainIpv4's reused copy
    private final ArrivalClock arrivals = new ArrivalClock(); // the reading thread's (polling or reader)
    private volatile boolean closed;
    private Destination lastDestination; // IPv4: the last destination sent to
    private static final byte[] NO_CONTROL = new byte[0];

    private VrrpSocket(VrrpSocketSpec spec, int interfaceIndex, int receiveFd, int sendFd,
                       Consumer<ReceivedPacket> consumer) {
        this.spec = spec;
        this.interfaceIndex = interfaceIndex;
        this.receiveFd = receiveFd;
        this.sendFd = sendFd;
        this.sendBlock = new MessageBlock(spec.family() == IpFamily.IPV4 ? IPV4_SEND_CAPACITY : MAX_PACKET);
        if (consumer == null) {
            this.reader = null;
            this.receiveBlock = new MessageBlock(MAX_PACKET);
        } else {
            this.reader = new Thread(() -> readLoop(consumer),
                    "vrrp-rx-" + spec.interfaceName() + "-" + spec.family().name().toLowerCase());
            this.reader.setDaemon(true);
            this.receiveBlock = null;
        }
    }

    /**
     * Opens the sockets described by {@code spec} in the calling thread's network namespace and starts the reader
     * thread, which hands every well-formed packet to {@code consumer}.
     *
     * @throws LinuxCallFailed naming the call and interface (no such device, no CAP_NET_RAW, ...)
     */
    public static VrrpSocket open(VrrpSocketSpec spec, Consumer<ReceivedPacket> consumer) throws LinuxCallFailed {
        return open(spec, Objects.requireNonNull(consumer, "consumer"), true);
    }

    /**
     * Opens the sockets described by {@code spec} without a reader thread: the caller waits for {@link #receiveFd}
     * to be readable in its own epoll loop and {@link #drain}s it there.
     */
    public static VrrpSocket openPolled(VrrpSocketSpec spec) throws LinuxCallFailed {
        return open(spec, null, false);
    }

    private static VrrpSocket open(VrrpSocketSpec spec, Consumer<ReceivedPacket> consumer, boolean threaded)
            throws LinuxCallFailed {
        int index = Syscalls.interfaceIndex(spec.interfaceName());
        int rx = -1, tx = -1;
        try {
            if (spec.family() == IpFamily.IPV4) {
                rx = openIpv4Receive(spec, index);
                tx = openIpv4Send(spec, index);
            } else {
                rx = openIpv6(spec, index);
                tx = rx;
            }
            VrrpSocket socket = new VrrpSocket(spec, index, rx, tx, threaded ? consumer : null);
            if (threaded) {
                socket.reader.start();
            }
            return socket;
        } catch (LinuxCallFailed | RuntimeException e) {
            Syscalls.closeQuietly(rx);
            if (tx != rx) {
                Syscalls.closeQuietly(tx);
            }
            throw e;
        }
    }

    private static int openIpv4Receive(VrrpSocketSpec spec, int index) throws LinuxCallFailed {
        String on = " on " + spec.interfaceName();
        int fd = Syscalls.socket(AF_INET, SOCK_RAW, IPPROTO_VRRP, "AF_INET, SOCK_RAW, 112" + on);
        try {
            Syscalls.bindToDevice(fd, spec.interfaceName());
            Syscalls.setInt(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0, "IP_MULTICAST_ALL 0" + on);
            Syscalls.setInt(fd, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO" + on);
            Syscalls.setInt(fd, IPPROTO_IP, IP_RECVTTL, 1, "IP_RECVTTL" + on);
            if (spec.multicastGroup().isPresent()) {
                InetAddress group = spec.multicastGroup().get();
                Syscalls.setBytes(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, ipMreqn(group.getAddress(), index),
                        "IP_ADD_MEMBERSHIP " + AddressText.of(group) + on);
            }
            Syscalls.receiveTimeout(fd, READ_WAKE_MILLIS);
            largeReceiveBuffer(fd);
            receiveStamps(fd);
            return fd;
        } catch (LinuxCallFailed e) {
            Syscalls.closeQuietly(fd);
            throw e;
        }
    }

    private static int openIpv4Send(VrrpSocketSpec spec, int index) throws LinuxCallFailed {
        String on = " on " + spec.interfaceName();
        // IPPROTO_RAW: IP_HDRINCL implied, and the socket receives nothing, so no buffer fills up unread.
        int fd = Syscalls.socket(AF_INET, SOCK_RAW, IPPROTO_RAW, "AF_INET, SOCK_RAW, IPPROTO_RAW" + on);
        try {
            Syscalls.bindToDevice(fd, spec.interfaceName());
            Syscalls.setBytes(fd, IPPROTO_IP, IP_MULTICAST_IF, ipMreqn(new byte[4], index), "IP_MULTICAST_IF" + on);
            Syscalls.setInt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0, "IP_MULTICAST_LOOP 0" + on);
            return fd;
        } catch (LinuxCallFailed e) {
            Syscalls.closeQuietly(fd);
            throw e;
        }
    }

    private static int openIpv6(VrrpSocketSpec spec, int index) throws LinuxCallFailed {
        String on = " on " + spec.interfaceName();
        int fd = Syscalls.socket(AF_INET6, SOCK_RAW, IPPROTO_VRRP, "AF_INET6, SOCK_RAW, 112" + on);
        try {
            Syscalls.bindToDevice(fd, spec.interfaceName());
            // VRRP's checksum field is at byte 6 of the message (RFC 5798 §5.1).
            Syscalls.setInt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, 6, "IPV6_CHECKSUM 6" + on);
            Syscalls.setInt(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0, "IPV6_MULTICAST_ALL 0" + on);
            Syscalls.setInt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT" + on);
            Syscalls.setInt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO" + on);
            Syscalls.setInt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255, "IPV6_MULTICAST_HOPS 255" + on);
            Syscalls.setInt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255, "IPV6_UNICAST_HOPS 255" + on);
            Syscalls.setInt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, index, "IPV6_MULTICAST_IF" + on);
            Syscalls.setInt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0, "IPV6_MULTICAST_LOOP 0" + on);
            if (spec.multicastGroup().isPresent()) {
                InetAddress group = spec.multicastGroup().get();
                ByteBuffer mreq = ByteBuffer.allocate(SIZEOF_IPV6_MREQ).order(ByteOrder.nativeOrder());
                mreq.put(group.getAddress()).putInt(16, index);
                Syscalls.setBytes(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, mreq.array(),
                        "IPV6_JOIN_GROUP " + AddressText.of(group) + on);
            }
            Syscalls.receiveTimeout(fd, READ_WAKE_MILLIS);
            largeReceiveBuffer(fd);
            receiveStamps(fd);
            return fd;
        } catch (LinuxCallFailed e) {
            Syscalls.closeQuietly(fd);
            throw e;
        }
    }

    /**
     * SO_TIMESTAMPNS: each datagram comes with the kernel's receive time ({@link ArrivalClock}). Without it (not
     * seen: Linux has it since 2.6.22) a datagram's arrival is when it was read.
     */
    private static void receiveStamps(int fd) {
        if (Syscalls.LIBC.setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, Syscalls.hostInt(1), 4) != 0) {
            LOG.warn("SO_TIMESTAMPNS refused ({}): adverts count from when they are read", Syscalls.errno());
        }
    }

    /** SO_RCVBUFFORCE with CAP_NET_ADMIN, else SO_RCVBUF (capped by net.core.rmem_max). */
    private static void largeReceiveBuffer(int fd) throws LinuxCallFailed {
        byte[] size = Syscalls.hostInt(RECEIVE_BUFFER_BYTES);
        if (Syscalls.LIBC.setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, size, 4) != 0) {
            Syscalls.setInt(fd, SOL_SOCKET, SO_RCVBUF, RECEIVE_BUFFER_BYTES, "SO_RCVBUF");
        }
    }

    static byte[] ipMreqn(byte[] group, int index) {
        ByteBuffer b = ByteBuffer.allocate(SIZEOF_IP_MREQN).order(ByteOrder.nativeOrder());
        b.put(group).put(new byte[4]).putInt(8, index);
        return b.array();
    }

    public VrrpSocketSpec spec() {
        return spec;
    }

    public int interfaceIndex() {
        return interfaceIndex;
    }

    /** Packets handed to the consumer. */
    public long receivedCount() {
        return received.get();
    }

    /** Packets dropped before the consumer: truncated, malformed IP header, length mismatch, wrong protocol. */
    public long droppedCount() {
        return dropped.get();
    }

    public long sentCount() {
        return sent.get();
    }

    /**
     * Sends one VRRP message to {@code destination} (the group or a unicast peer) from the spec's source address.
     * For IPv6 the kernel overwrites the checksum field; for IPv4 the caller computes it over the spec's source.
     *
     * @throws LinuxCallFailed if the kernel refuses it (EAGAIN when the send buffer is full: the advert is lost,
     *                         as on a congested wire)
     */
    public void send(InetAddress destination, byte[] vrrpMessage) throws LinuxCallFailed {
        if (IpFamily.of(destination) != spec.family()) {
            throw new IllegalArgumentException("destination " + AddressText.of(destination) + " is not "
                    + spec.family());
        }
        if (closed) {
            throw new LinuxCallFailed("send on closed VRRP socket " + spec.interfaceName(), EINVAL, "closed");
        }
        if (transmit(sendFd, destination, vrrpMessage) < 0) {
            int errno = Syscalls.errno();
            throw Syscalls.failure("send VRRP to " + AddressText.of(destination) + " on " + spec.interfaceName(), errno);
        }
        sent.incrementAndGet();
    }

    /**
     * Runs {@link #send}'s code {@code rounds} times on an invalid descriptor (the kernel refuses with EBADF, nothing
     * is sent), so that a backup's first advert, at its first takeover, is not also the first call of this path
     * through jnr-ffi, interpreted. Returns how many calls were refused as expected.
     */
    public int warmSend(InetAddress destination, byte[] vrrpMessage, int rounds) {
        int refused = 0;
        for (int i = 0; i < rounds; i++) {
            if (transmit(-1, destination, vrrpMessage) < 0 && Syscalls.errno() == EBADF) {
                refused++;
            }
        }
        return refused;
    }

    /** The takeover's path: no string, and the destination's sockaddr built once (a master sends to one or a few). */
    private long transmit(int fd, InetAddress destination, byte[] vrrpMessage) {
        if (spec.family() == IpFamily.IPV4) {
            Inet4Address source = (Inet4Address) spec.sourceAddress().orElse(null);
            byte[] packet = Ipv4Header.packet(source, (Inet4Address) destination,
                    identification.getAndIncrement() & 0xFFFF, vrrpMessage);
            Destination d = lastDestination;
            if (d == null || !d.address().equals(destination)) {
                d = new Destination(destination, sockaddrIn(destination));
                lastDestination = d;
            }
            // sendmsg from the socket's native block rather than sendto with heap arrays: jnr-ffi copies heap
            // arrays through buffers it allocates on every call, 20,000 times a second with 200 masters at 0.01 s
            synchronized (sendBlock) {
                sendBlock.prepareSend(d.sockaddr(), NO_CONTROL, packet);
                return Syscalls.LIBC.sendmsg(fd, sendBlock.header(), MSG_DONTWAIT);
            }
        }
        synchronized (sendBlock) {
            sendBlock.prepareSend(sockaddrIn6(destination, interfaceIndex), pktinfo6(), vrrpMessage);
            return Syscalls.LIBC.sendmsg(fd, sendBlock.header(), MSG_DONTWAIT);
        }
    }

    /** A destination and its sockaddr_in; immutable, so any thread may read the last one written. */
    private record Destination(InetAddress address, byte[] sockaddr) {
    }

    private byte[] pktinfo6() {
        // cmsghdr{len = CMSG_LEN(20) = 36, IPPROTO_IPV6, IPV6_PKTINFO} + in6_pktinfo{source or ::, ifindex}, padded
        ByteBuffer c = ByteBuffer.allocate(SIZEOF_CMSGHDR + 24).order(ByteOrder.nativeOrder());
        c.putLong(0, SIZEOF_CMSGHDR + SIZEOF_IN6_PKTINFO).putInt(8, IPPROTO_IPV6).putInt(12, IPV6_PKTINFO);
        spec.sourceAddress().ifPresent(s -> c.position(SIZEOF_CMSGHDR).put(s.getAddress()));
        c.putInt(SIZEOF_CMSGHDR + 16, interfaceIndex);
        return c.array();
    }

    static byte[] sockaddrIn(InetAddress address) {
        ByteBuffer b = ByteBuffer.allocate(SIZEOF_SOCKADDR_IN).order(ByteOrder.nativeOrder());
        b.putShort(0, (short) AF_INET);
        b.position(4);
        b.put(address.getAddress());
        return b.array();
    }

    static byte[] sockaddrIn6(InetAddress address, int interfaceIndex) {
        ByteBuffer b = ByteBuffer.allocate(SIZEOF_SOCKADDR_IN6).order(ByteOrder.nativeOrder());
        b.putShort(0, (short) AF_INET6);
        b.position(8);
        b.put(address.getAddress());
        boolean linkScoped = address.isLinkLocalAddress() || address.isMCLinkLocal();
        b.putInt(24, linkScoped ? interfaceIndex : 0);
        return b.array();
    }

    /** The receiving socket's descriptor, for a polled socket's owner to wait on (readable: call {@link #drain}). */
    public int receiveFd() {
        return receiveFd;
    }

    /**
     * For a polled socket, on its polling thread: receives what is queued without waiting, up to {@code max}
     * datagrams, handing each well-formed packet to {@code consumer}. Returns the number of datagrams read; fewer
     * than {@code max} means the queue is empty.
     */
    public int drain(int max, Consumer<ReceivedPacket> consumer) {
        if (reader != null) {
            throw new IllegalStateException("VRRP socket on " + spec.interfaceName() + " has its own reader");
        }
        int n = 0;
        while (n < max && !closed) {
            long length = receiveNow();
            long readAt = System.nanoTime();
            if (length < 0) {
                return length == QUEUE_EMPTY ? n : max;
            }
            if (n++ == 0) {
                arrivals.sample();
            }
            deliver(receiveBlock, (int) length, arrivals.arrival(receiveBlock.receiveStamp(), readAt), consumer);
        }
        return n;
    }

    private static final long QUEUE_EMPTY = -1;
    private static final long RECEIVE_FAILED = -2;

    /**
     * One recvmsg into {@code receiveBlock} without waiting: the datagram's length, {@link #QUEUE_EMPTY}, or
     * {@link #RECEIVE_FAILED} for any other error (the caller stops this drain; readiness brings it back).
     */
    private long receiveNow() {
        receiveBlock.prepareReceive();
        long length = Syscalls.LIBC.recvmsg(receiveFd, receiveBlock.header(), MSG_DONTWAIT);
        if (length >= 0) {
            return length;
        }
        int errno = Syscalls.errno();
        if (errno != EAGAIN && errno != EINTR && receiveErrors++ % 1000 == 0) {
            // level-triggered readiness comes back at once: say it once, then every thousandth time
            LOG.warn("{} ({} so far)", Syscalls.failure("recvmsg on VRRP socket " + spec.interfaceName(),
                    errno).getMessage(), receiveErrors);
        }
        return errno == EAGAIN ? QUEUE_EMPTY : RECEIVE_FAILED;
    }

    /** A datagram in a buffer the socket reuses: valid only during the call. */
    @FunctionalInterface
    public interface DatagramSink {
        void accept(byte[] buffer, int length, long arrivalNanos);
    }

    /**
     * {@link #drain} without allocating, for a polled IPv4 socket: each datagram (IP header included, as the
     * kernel delivered it) is copied into one reused array and handed to {@code sink}, which must not keep it; the
     * control messages are read only for the kernel's receive time (the IPv4 header carries the source, destination
     * and TTL). A receive path that allocates nothing per packet keeps the collector quiet at 20,000 adverts a second.
     */
    public int drainIpv4(int max, DatagramSink sink) {
        if (reader != null || spec.family() != IpFamily.IPV4) {
            throw new IllegalStateException("drainIpv4 needs a polled IPv4 socket, not " + spec.family()
                    + (reader != null ? " with its own reader" : ""));
        }
        int n = 0;
        while (n < max && !closed) {
            long length = receiveNow();
            long readAt = System.nanoTime();
            if (length < 0) {
                return length == QUEUE_EMPTY ? n : max;
            }
            if (n++ == 0) {
                arrivals.sample();
            }
            long arrival = arrivals.arrival(receiveBlock.receiveStamp(), readAt);
            if ((receiveBlock.flags() & MSG_TRUNC) != 0) {
                dropped.incrementAndGet();
                continue;
            }
            if (receiveBuffer.length < length) {
                receiveBuffer = new byte[Math.max((int) length, 1024)];
            }
            receiveBlock.data(receiveBuffer, (int) length);
            received.incrementAndGet();
            try {
                sink.accept(receiveBuffer, (int) length, arrival);
            } catch (RuntimeException e) {
                LOG.error("VRRP packet consumer failed on {}", spec.interfaceName(), e);
            }
        }
        return n;
    }

    private void deliver(MessageBlock block, int length, long arrival, Consumer<ReceivedPacket> consumer) {
        ReceivedPacket packet = decode(block, length, arrival);
        if (packet == null) {
            dropped.incrementAndGet();
            return;
        }
        received.incrementAndGet();
        try {
            consumer.accept(packet);
        } catch (RuntimeException e) {
            LOG.error("VRRP packet consumer failed on {}: {}", spec.interfaceName(), packet, e);
        }
    }

    private void readLoop(Consumer<ReceivedPacket> consumer) {
        MessageBlock block = new MessageBlock(MAX_PACKET);
        while (!closed) {
            block.prepareReceive();
            long n = Syscalls.LIBC.recvmsg(receiveFd, block.header(), 0);
            long readAt = System.nanoTime();
            if (closed) {
                return;
            }
            if (n < 0) {
                int errno = Syscalls.errno();
                if (errno != EAGAIN && errno != EINTR && !closed) {
                    LOG.warn("{}", Syscalls.failure("recvmsg on VRRP socket " + spec.interfaceName(), errno).getMessage());
                    sleepQuietly(); // a persistent error must not spin a core
                }
                continue;
            }
            arrivals.sample(); // each read is a drain of its own here
            deliver(block, (int) n, arrivals.arrival(block.receiveStamp(), readAt), consumer);
        }
    }

    private ReceivedPacket decode(MessageBlock block, int length, long arrival) {
        if ((block.flags() & MSG_TRUNC) != 0) {
            LOG.debug("dropped truncated packet on {}", spec.interfaceName());
            return null;
        }
        int[] ttl = {-1};
        int[] index = {interfaceIndex};
        byte[][] destination = {null};
        boolean v4 = spec.family() == IpFamily.IPV4;
        block.forEachControl((level, type, data) -> {
            ByteBuffer d = ByteBuffer.wrap(data).order(ByteOrder.nativeOrder());
            if (v4 && level == IPPROTO_IP && type == IP_TTL && data.length >= 4) {
                ttl[0] = d.getInt(0);
            } else if (v4 && level == IPPROTO_IP && type == IP_PKTINFO && data.length >= SIZEOF_IN_PKTINFO) {
                index[0] = d.getInt(0);
            } else if (!v4 && level == IPPROTO_IPV6 && type == IPV6_HOPLIMIT && data.length >= 4) {
                ttl[0] = d.getInt(0);
            } else if (!v4 && level == IPPROTO_IPV6 && type == IPV6_PKTINFO && data.length >= SIZEOF_IN6_PKTINFO) {
                destination[0] = Arrays.copyOfRange(data, 0, 16);
                index[0] = d.getInt(16);
            }
        });
        byte[] data = block.data(length);
        try {
            if (v4) {
                return decodeIpv4(data, index[0], arrival);
            }
            byte[] name = block.name();
            if (name.length < SIZEOF_SOCKADDR_IN6 || destination[0] == null || ttl[0] < 0) {
                LOG.debug("dropped IPv6 packet on {} without source or pktinfo", spec.interfaceName());
                return null;
            }
            byte[] sourceBytes = Arrays.copyOfRange(name, 8, 24);
            int scope = ByteBuffer.wrap(name).order(ByteOrder.nativeOrder()).getInt(24);
            // Link-local sources keep the interface as their scope (fe80::1%eth0); global ones have none.
            InetAddress source = scope == 0 ? InetAddress.getByAddress(sourceBytes)
                    : Inet6Address.getByAddress(null, sourceBytes, scope);
            return new ReceivedPacket(data, 0, source, InetAddress.getByAddress(destination[0]), ttl[0], index[0], arrival);
        } catch (UnknownHostException e) {
            return null; // only for a wrong address length, which the checks above exclude
        }
    }

    /** Strips and checks the IPv4 header that raw IPv4 sockets deliver (tot_len in network order on Linux). */
    static ReceivedPacket decodeIpv4(byte[] data, int interfaceIndex, long arrival) throws UnknownHostException {
        if (data.length < Ipv4Header.LENGTH || (data[0] & 0xF0) != 0x40) {
            return null;
        }
        int headerLength = (data[0] & 0x0F) * 4;
        int totalLength = ((data[2] & 0xFF) << 8) | (data[3] & 0xFF);
        if (headerLength < Ipv4Header.LENGTH || headerLength > data.length || totalLength != data.length
                || (data[9] & 0xFF) != IPPROTO_VRRP) {
            return null;
        }
        return new ReceivedPacket(data, headerLength,
                InetAddress.getByAddress(Arrays.copyOfRange(data, 12, 16)),
                InetAddress.getByAddress(Arrays.copyOfRange(data, 16, 20)),
                data[8] & 0xFF, interfaceIndex, arrival);
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(READ_WAKE_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Stops the reader and closes the sockets, leaving the group. A polled socket's owner removes
     * {@link #receiveFd} from its epoll set first (the number may be reused as soon as it is closed).
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (reader == null) {
            Syscalls.closeQuietly(receiveFd);
            if (sendFd != receiveFd) {
                Syscalls.closeQuietly(sendFd);
            }
            return;
        }
        Syscalls.LIBC.shutdown(receiveFd, SHUT_RD); // wakes the reader: recvmsg returns 0
        if (Thread.currentThread() != reader) {
            try {
                reader.join(3L * READ_WAKE_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // Close only after the reader has left recvmsg, so its fd number cannot be reused under it.
        Syscalls.closeQuietly(receiveFd);
        if (sendFd != receiveFd) {
            Syscalls.closeQuietly(sendFd);
        }
    }
}
