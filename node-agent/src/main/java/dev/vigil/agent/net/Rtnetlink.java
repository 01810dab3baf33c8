package dev.vigil.agent.net;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.vigil.agent.net.LinuxAbi.*;

/**
 * VIPs and interfaces over rtnetlink (NETLINK_ROUTE), as keepalived's {@code netlink_ipaddress}: add and remove
 * addresses with acknowledgement, list addresses and links.
 *
 * <p>Each call is a blocking round trip to the kernel (well under a millisecond, bounded by a 2 s timeout): run it
 * off the event loop ({@code vertx.executeBlocking}) or on the daemon's worker. Calls are serialised. Open it on
 * the thread whose network namespace it should manage. Needs CAP_NET_ADMIN for changes.
 */
public final class Rtnetlink implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Rtnetlink.class);
    static final int TIMEOUT_MILLIS = 2000;

    private final NetlinkSocket socket;

    private Rtnetlink(NetlinkSocket socket) {
        this.socket = socket;
    }

    public static Rtnetlink open() throws LinuxCallFailed {
        return new Rtnetlink(NetlinkSocket.open(0, TIMEOUT_MILLIS));
    }

    /**
     * Adds a VIP. An address already present (EEXIST) is {@link AddressChange#ALREADY_PRESENT}, not an error.
     *
     * @throws LinuxCallFailed for anything else, naming the VIP, device and kernel reason
     */
    public synchronized AddressChange add(VirtualAddress vip) throws LinuxCallFailed {
        String what = "add VIP " + vip;
        int index = link(vip.device()).orElseThrow(() -> new LinuxCallFailed(what, ENODEV,
                "no interface named " + vip.device())).index();
        int seq = socket.nextSequence();
        // CREATE|EXCL as `ip addr add`: a duplicate answers EEXIST rather than being silently replaced.
        byte[] request = RtnetlinkCodec.addressRequest(RTM_NEWADDR,
                NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, seq, vip, index);
        try {
            socket.request(request, seq, what);
            return AddressChange.ADDED;
        } catch (LinuxCallFailed e) {
            if (e.errno() == EEXIST) {
                return AddressChange.ALREADY_PRESENT;
            }
            throw e;
        }
    }

    /**
     * Removes a VIP (address and prefix must match, as for {@code ip addr del}). An address that is not there
     * (EADDRNOTAVAIL), or whose device is gone, is {@link AddressChange#ALREADY_ABSENT}.
     */
    public synchronized AddressChange remove(VirtualAddress vip) throws LinuxCallFailed {
        String what = "remove VIP " + vip;
        Optional<Link> link = link(vip.device());
        if (link.isEmpty()) {
            return AddressChange.ALREADY_ABSENT;
        }
        int seq = socket.nextSequence();
        byte[] request = RtnetlinkCodec.addressRequest(RTM_DELADDR, NLM_F_REQUEST | NLM_F_ACK, seq, vip,
                link.get().index());
        try {
            socket.request(request, seq, what);
            return AddressChange.REMOVED;
        } catch (LinuxCallFailed e) {
            if (e.errno() == EADDRNOTAVAIL || e.errno() == ENODEV) {
                return AddressChange.ALREADY_ABSENT;
            }
            throw e;
        }
    }

    /** Every IPv4 and IPv6 address on the named interface (empty if there is no such interface). */
    public synchronized List<InterfaceAddress> addresses(String device) throws LinuxCallFailed {
        Optional<Link> link = link(device);
        if (link.isEmpty()) {
            return List.of();
        }
        int seq = socket.nextSequence();
        List<InterfaceAddress> out = new ArrayList<>();
        for (NetlinkMessage m : socket.request(RtnetlinkCodec.dumpRequest(RTM_GETADDR, seq), seq,
                "list addresses of " + device)) {
            if (m.type() == RTM_NEWADDR) {
                RtnetlinkCodec.decodeAddress(m).filter(a -> a.interfaceIndex() == link.get().index())
                        .ifPresent(out::add);
            }
        }
        return out;
    }

    /**
     * The address the kernel sends from on {@code device} when no source is chosen, for the VRRP source and the
     * VRRPv3 pseudo-header: for IPv4 the first primary (not secondary) address, for IPv6 the link-local one
     * (RFC 5798 §5.1.2.1).
     */
    public synchronized Optional<InetAddress> primaryAddress(String device, IpFamily family) throws LinuxCallFailed {
        for (InterfaceAddress a : addresses(device)) {
            if (IpFamily.of(a.address()) != family) {
                continue;
            }
            boolean primary = family == IpFamily.IPV4
                    ? (a.flags() & IFA_F_SECONDARY) == 0 && a.scope() != AddressScope.HOST
                    : a.address().isLinkLocalAddress();
            if (primary) {
                return Optional.of(a.address());
            }
        }
        return Optional.empty();
    }

    /**
     * Start-of-day cleanup, as keepalived does after a crash: removes each configured VIP that is already on its
     * device (whatever its prefix there), and returns what it removed.
     */
    public synchronized List<InterfaceAddress> removeLeftovers(Collection<VirtualAddress> configured)
            throws LinuxCallFailed {
        Map<String, List<InterfaceAddress>> byDevice = new LinkedHashMap<>();
        List<InterfaceAddress> removed = new ArrayList<>();
        for (VirtualAddress vip : configured) {
            List<InterfaceAddress> present = byDevice.get(vip.device());
            if (present == null) {
                present = addresses(vip.device());
                byDevice.put(vip.device(), present);
            }
            for (InterfaceAddress a : present) {
                if (a.address().equals(vip.address()) && !removed.contains(a)
                        && remove(a.asVirtualAddressOn(vip.device())) == AddressChange.REMOVED) {
                    LOG.info("removed leftover VIP {} from {}", a, vip.device());
                    removed.add(a);
                }
            }
        }
        return removed;
    }

    /** The named interface, if it exists in this namespace. */
    public synchronized Optional<Link> link(String name) throws LinuxCallFailed {
        if (name.isEmpty() || name.length() >= IFNAMSIZ) {
            return Optional.empty();
        }
        int seq = socket.nextSequence();
        try {
            for (NetlinkMessage m : socket.request(RtnetlinkCodec.linkByNameRequest(name, seq), seq, "look up link " + name)) {
                if (m.type() == RTM_NEWLINK) {
                    return RtnetlinkCodec.decodeLink(m);
                }
            }
            return Optional.empty();
        } catch (LinuxCallFailed e) {
            if (e.errno() == ENODEV) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Every interface in this namespace. */
    public synchronized List<Link> links() throws LinuxCallFailed {
        int seq = socket.nextSequence();
        List<Link> out = new ArrayList<>();
        for (NetlinkMessage m : socket.request(RtnetlinkCodec.dumpRequest(RTM_GETLINK, seq), seq, "list links")) {
            if (m.type() == RTM_NEWLINK) {
                RtnetlinkCodec.decodeLink(m).ifPresent(out::add);
            }
        }
        return out;
    }

    @Override
    public void close() {
        socket.close();
    }
}
