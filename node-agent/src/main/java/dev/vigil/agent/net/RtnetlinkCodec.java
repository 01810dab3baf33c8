package dev.vigil.agent.net;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;

import static dev.vigil.agent.net.LinuxAbi.*;

/** Pure encoding and decoding of the rtnetlink messages the data plane uses (address and link). */
final class RtnetlinkCodec {
    private RtnetlinkCodec() {}

    /**
     * RTM_NEWADDR / RTM_DELADDR for a VIP, as iproute2 and keepalived's {@code netlink_ipaddress} build it:
     * ifaddrmsg{family, prefixlen, flags, scope, index}, IFA_LOCAL and IFA_ADDRESS, then the options.
     */
    static byte[] addressRequest(int type, int flags, int sequence, VirtualAddress vip, int interfaceIndex) {
        boolean v6 = vip.family() == IpFamily.IPV6;
        int addressFlags = v6 && vip.noDad() ? IFA_F_NODAD : 0;
        ByteBuffer ifa = ByteBuffer.allocate(SIZEOF_IFADDRMSG).order(ByteOrder.nativeOrder());
        ifa.put((byte) vip.family().addressFamily).put((byte) vip.prefixLength()).put((byte) (addressFlags & 0xFF))
                .put((byte) vip.scope().value).putInt(interfaceIndex);
        byte[] address = vip.address().getAddress();
        Attributes.Builder m = new Attributes.Builder(type, flags, sequence, ifa.array())
                .add(IFA_LOCAL, address)
                .add(IFA_ADDRESS, address);
        if (type == RTM_NEWADDR) {
            vip.broadcast().ifPresent(b -> m.add(IFA_BROADCAST, b.getAddress()));
            vip.label().ifPresent(l -> m.addString(IFA_LABEL, l));
            if (addressFlags != 0) {
                m.addInt(IFA_FLAGS, addressFlags);
            }
            if (v6 || vip.preferredLifetimeSeconds() != VirtualAddress.FOREVER) {
                ByteBuffer ci = ByteBuffer.allocate(SIZEOF_IFA_CACHEINFO).order(ByteOrder.nativeOrder());
                ci.putInt((int) vip.preferredLifetimeSeconds()).putInt(INFINITY_LIFE_TIME).putInt(0).putInt(0);
                m.add(IFA_CACHEINFO, ci.array());
            }
        }
        return m.build();
    }

    /** A dump of every address (RTM_GETADDR) or link (RTM_GETLINK) in the namespace. */
    static byte[] dumpRequest(int type, int sequence) {
        int fixed = type == RTM_GETLINK ? SIZEOF_IFINFOMSG : SIZEOF_IFADDRMSG;
        return new Attributes.Builder(type, NLM_F_REQUEST | NLM_F_DUMP, sequence, new byte[fixed]).build();
    }

    /** RTM_GETLINK for one interface by name (IFLA_IFNAME): its RTM_NEWLINK then an ACK, or ENODEV. */
    static byte[] linkByNameRequest(String name, int sequence) {
        return new Attributes.Builder(RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, sequence, new byte[SIZEOF_IFINFOMSG])
                .addString(IFLA_IFNAME, name)
                .build();
    }

    /** An RTM_NEWLINK / RTM_DELLINK payload as a {@link Link}; empty if it is too short to be one. */
    static Optional<Link> decodeLink(NetlinkMessage message) {
        byte[] p = message.payload();
        if (p.length < SIZEOF_IFINFOMSG) {
            return Optional.empty();
        }
        ByteBuffer b = message.buffer();
        int index = b.getInt(4);
        int flags = b.getInt(8);
        String[] name = {""};
        byte[][] mac = {new byte[0]};
        int[] oper = {0};
        Attributes.forEach(p, SIZEOF_IFINFOMSG, (type, data) -> {
            switch (type) {
                case IFLA_IFNAME -> name[0] = Attributes.string(data);
                case IFLA_ADDRESS -> mac[0] = data;
                case IFLA_OPERSTATE -> oper[0] = data.length > 0 ? data[0] & 0xFF : 0;
                default -> { }
            }
        });
        return Optional.of(new Link(index, name[0], new MacAddress(mac[0]), flags, Link.OperState.of(oper[0])));
    }

    /** An RTM_NEWADDR payload as an {@link InterfaceAddress}; empty if it is not a well-formed IPv4/IPv6 one. */
    static Optional<InterfaceAddress> decodeAddress(NetlinkMessage message) {
        byte[] p = message.payload();
        if (p.length < SIZEOF_IFADDRMSG) {
            return Optional.empty();
        }
        ByteBuffer b = message.buffer();
        int family = p[0] & 0xFF;
        if (family != AF_INET && family != AF_INET6) {
            return Optional.empty();
        }
        int prefix = p[1] & 0xFF;
        int[] flags = {p[2] & 0xFF};
        int scope = p[3] & 0xFF;
        int index = b.getInt(4);
        byte[][] local = {null}, address = {null}, broadcast = {null};
        String[] label = {null};
        Attributes.forEach(p, SIZEOF_IFADDRMSG, (type, data) -> {
            switch (type) {
                case IFA_LOCAL -> local[0] = data;
                case IFA_ADDRESS -> address[0] = data;
                case IFA_BROADCAST -> broadcast[0] = data;
                case IFA_LABEL -> label[0] = Attributes.string(data);
                case IFA_FLAGS -> flags[0] = data.length >= 4
                        ? ByteBuffer.wrap(data).order(ByteOrder.nativeOrder()).getInt(0) : flags[0];
                default -> { }
            }
        });
        // IPv4 reports the address in IFA_LOCAL (IFA_ADDRESS is the peer); IPv6 in IFA_ADDRESS unless it has a peer.
        byte[] own = local[0] != null ? local[0] : address[0];
        int expected = family == AF_INET ? 4 : 16;
        if (own == null || own.length != expected) {
            return Optional.empty();
        }
        try {
            Optional<Inet4Address> brd = broadcast[0] != null && broadcast[0].length == 4
                    ? Optional.of((Inet4Address) InetAddress.getByAddress(broadcast[0])) : Optional.empty();
            return Optional.of(new InterfaceAddress(InetAddress.getByAddress(own), prefix, index,
                    AddressScope.of(scope), Optional.ofNullable(label[0]), brd, flags[0]));
        } catch (UnknownHostException e) {
            return Optional.empty(); // lengths checked above
        }
    }
}
