package dev.vigil.agent.net;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;

import static dev.vigil.agent.net.LinuxAbi.*;

/**
 * Sends one round of announcements for VIPs on one interface: a gratuitous ARP per IPv4 VIP and an unsolicited
 * neighbour advertisement per IPv6 VIP, from the interface's MAC, through an AF_PACKET socket.
 *
 * <p>It has no scheduler: the caller repeats rounds as {@code garp_master_repeat}, {@code garp_master_delay},
 * {@code garp_master_refresh} and {@code garp_interval} say. {@link #announce} never blocks (MSG_DONTWAIT), so
 * it may run on an event loop. Open it in the namespace of the interface; reopen it if the MAC changes.
 */
public final class Announcer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Announcer.class);

    private final Link link;
    private final boolean router;
    private final int fd;
    private volatile boolean closed;

    private Announcer(Link link, boolean router, int fd) {
        this.link = link;
        this.router = router;
        this.fd = fd;
    }

    /** Looks the interface up (index, MAC, NOARP) over rtnetlink and opens a send-only packet socket. */
    public static Announcer open(String interfaceName) throws LinuxCallFailed {
        Link link;
        try (Rtnetlink rtnl = Rtnetlink.open()) {
            link = rtnl.link(interfaceName).orElseThrow(() -> new LinuxCallFailed("announce on " + interfaceName,
                    ENODEV, "no interface named " + interfaceName));
        }
        if (link.macAddress().length() != 6) {
            throw new LinuxCallFailed("announce on " + interfaceName, EINVAL,
                    "not an Ethernet interface (link-layer address '" + link.macAddress() + "')");
        }
        // Protocol 0: the socket sends only and never queues received frames.
        int fd = Syscalls.socket(AF_PACKET, SOCK_RAW, 0, "AF_PACKET, SOCK_RAW on " + interfaceName);
        return new Announcer(link, forwards(interfaceName), fd);
    }

    /** keepalived sets the NA Router flag when IPv6 forwarding is on for the interface (vrrp_ndisc.c). */
    private static boolean forwards(String interfaceName) {
        try {
            return Files.readString(Path.of("/proc/sys/net/ipv6/conf", interfaceName, "forwarding")).trim().equals("1");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    public Link link() {
        return link;
    }

    /**
     * Sends one frame per address: GARP for IPv4 (none on an IFF_NOARP interface, as keepalived), NA for IPv6.
     *
     * @return the number of frames sent
     * @throws LinuxCallFailed on the first frame the kernel refuses, naming the address
     */
    public int announce(Collection<? extends InetAddress> addresses) throws LinuxCallFailed {
        if (closed) {
            throw new LinuxCallFailed("announce on " + link.name(), EINVAL, "announcer closed");
        }
        int sent = 0;
        for (InetAddress address : addresses) {
            if (address instanceof Inet4Address v4) {
                if (link.noArp()) {
                    LOG.debug("no gratuitous ARP for {} on NOARP interface {}", AddressText.of(v4), link.name());
                    continue;
                }
                send(AnnouncementFrames.gratuitousArp(link.macAddress(), v4), ETH_P_ARP, "gratuitous ARP for " + AddressText.of(v4));
            } else if (address instanceof Inet6Address v6) {
                send(AnnouncementFrames.unsolicitedNeighbourAdvertisement(link.macAddress(), v6, router), ETH_P_IPV6,
                        "neighbour advertisement for " + AddressText.of(v6));
            }
            sent++;
        }
        return sent;
    }

    private void send(byte[] frame, int ethertype, String what) throws LinuxCallFailed {
        ByteBuffer ll = ByteBuffer.allocate(SIZEOF_SOCKADDR_LL).order(ByteOrder.nativeOrder());
        ll.putShort(0, (short) AF_PACKET);
        ll.order(ByteOrder.BIG_ENDIAN).putShort(2, (short) ethertype).order(ByteOrder.nativeOrder());
        ll.putInt(4, link.index());
        ll.putShort(8, (short) ARPHRD_ETHER);
        ll.put(11, (byte) 6);
        ll.position(12);
        ll.put(frame, 0, 6); // the frame's destination MAC
        byte[] address = ll.array();
        long n = Syscalls.LIBC.sendto(fd, frame, frame.length, MSG_DONTWAIT, address, address.length);
        if (n < 0) {
            throw Syscalls.failure(what + " on " + link.name(), Syscalls.errno());
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
