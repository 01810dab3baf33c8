package dev.vigil.agent.vrrp;

import java.util.List;

/**
 * VRRPv2/v3 wire format (RFC 3768 §5, RFC 5798 §5) for IPv4 and IPv6. Pure functions; decoding never
 * throws on any input and reports each problem as a {@link DropReason} with a detail.
 *
 * <p>Receive inputs match what Linux raw sockets hand over: an IPv4 raw socket delivers the IP header
 * with the payload ({@link #decodeIpv4Packet}); an IPv6 raw socket delivers only the payload, and the
 * source, destination and hop limit come from recvmsg's address and control messages
 * ({@link #decodeVrrp}).
 */
public final class AdvertCodec {

    public static final int PROTOCOL = 112;
    public static final int TYPE_ADVERTISEMENT = 1;
    public static final IpAddress MULTICAST_V4 = IpAddress.parse("224.0.0.18");
    public static final IpAddress MULTICAST_V6 = IpAddress.parse("ff02::12");
    private static final int IPV4_HEADER = 20;
    private static final int TOS_CS6 = 0xC0; // keepalived's TOS for adverts

    private AdvertCodec() {
    }

    public static IpAddress multicastGroup(IpFamily family) {
        return family == IpFamily.IPV4 ? MULTICAST_V4 : MULTICAST_V6;
    }

    // ---------------------------------------------------------------- encode

    /** Encodes the VRRP message (no IP header) for the given IP source and destination. */
    public static byte[] encode(Advert a, IpAddress source, IpAddress destination, V3Ipv4Checksum mode) {
        byte[] out = new byte[a.wireLength()];
        encodeInto(a, source, destination, mode, out, 0);
        return out;
    }

    /** Encodes the VRRP message into {@code out} at {@code off}; returns its length. */
    public static int encodeInto(Advert a, IpAddress source, IpAddress destination, V3Ipv4Checksum mode,
                                 byte[] out, int off) {
        int len = a.wireLength();
        int alen = a.family().addressLength();
        out[off] = (byte) (a.version().wire() << 4 | TYPE_ADVERTISEMENT);
        out[off + 1] = (byte) a.vrid();
        out[off + 2] = (byte) a.priority();
        out[off + 3] = (byte) a.addresses().size();
        if (a.version() == VrrpVersion.V2) {
            out[off + 4] = (byte) a.authType();
            out[off + 5] = (byte) (a.intervalCentis() / 100);
        } else {
            out[off + 4] = (byte) (a.intervalCentis() >>> 8); // the 4 reserved bits stay zero (§5.2.5)
            out[off + 5] = (byte) a.intervalCentis();
        }
        out[off + 6] = 0;
        out[off + 7] = 0;
        int p = off + 8;
        for (IpAddress address : a.addresses()) {
            address.write(out, p);
            p += alen;
        }
        if (a.version() == VrrpVersion.V2) {
            IpAddress.writeLong(out, p, a.authData());
        }
        int sum = checksum(a.version(), a.family(), source, destination,
                a.version() == VrrpVersion.V3 && (a.family() == IpFamily.IPV6 || mode.sendsPseudoHeader()),
                out, off, len);
        out[off + 6] = (byte) (sum >>> 8);
        out[off + 7] = (byte) sum;
        return len;
    }

    /**
     * Encodes a whole IPv4 datagram as an IP_HDRINCL raw socket sends it and keepalived builds it
     * (TOS 0xC0, DF clear, protocol 112).
     */
    public static byte[] encodeIpv4Packet(Advert a, IpAddress source, IpAddress destination, int ttl, int ipId,
                                          V3Ipv4Checksum mode) {
        byte[] out = new byte[IPV4_HEADER + a.wireLength()];
        out[0] = 0x45;
        out[1] = (byte) TOS_CS6;
        out[2] = (byte) (out.length >>> 8);
        out[3] = (byte) out.length;
        out[4] = (byte) (ipId >>> 8);
        out[5] = (byte) ipId;
        out[8] = (byte) ttl;
        out[9] = (byte) PROTOCOL;
        source.write(out, 12);
        destination.write(out, 16);
        int hsum = InternetChecksum.finish(InternetChecksum.add(0, out, 0, IPV4_HEADER));
        out[10] = (byte) (hsum >>> 8);
        out[11] = (byte) hsum;
        encodeInto(a, source, destination, mode, out, IPV4_HEADER);
        return out;
    }

    // ---------------------------------------------------------------- decode

    /** Decodes an IPv4 datagram (header included) as an IPv4 raw socket delivers it. */
    public static Decoded decodeIpv4Packet(byte[] b, int off, int len, V3Ipv4Checksum mode) {
        if (outOfBounds(b, off, len)) {
            return drop(DropReason.TRUNCATED, "receive buffer of " + (b == null ? 0 : b.length) + " bytes cannot hold "
                    + len + " bytes at offset " + off);
        }
        if (len < IPV4_HEADER) {
            return drop(DropReason.TRUNCATED, "IPv4 datagram of " + len + " bytes, the header alone needs 20");
        }
        if ((b[off] & 0xF0) != 0x40) {
            return drop(DropReason.IP_HEADER_INVALID, "IP version " + ((b[off] & 0xF0) >>> 4) + ", expected 4");
        }
        int ihl = (b[off] & 0x0F) * 4;
        if (ihl < IPV4_HEADER || ihl > len) {
            return drop(DropReason.IP_HEADER_INVALID, "IPv4 header length " + ihl + " in a " + len + "-byte datagram");
        }
        int total = (b[off + 2] & 0xFF) << 8 | (b[off + 3] & 0xFF);
        if (total != len) {
            return drop(DropReason.LENGTH_MISMATCH, "IPv4 total length " + total + " but " + len + " bytes received");
        }
        if (InternetChecksum.finish(InternetChecksum.add(0, b, off, ihl)) != 0) {
            return drop(DropReason.IP_HEADER_INVALID, "IPv4 header checksum wrong");
        }
        int protocol = b[off + 9] & 0xFF;
        if (protocol != PROTOCOL) {
            return protocol == 51
                    ? drop(DropReason.UNSUPPORTED_AUTH, "IPsec AH (protocol 51) authentication is not supported")
                    : drop(DropReason.NOT_VRRP, "IP protocol " + protocol + ", expected 112");
        }
        IpAddress source = IpAddress.read(IpFamily.IPV4, b, off + 12);
        IpAddress destination = IpAddress.read(IpFamily.IPV4, b, off + 16);
        return decodeVrrp(IpFamily.IPV4, b, off + ihl, len - ihl, source, destination, b[off + 8] & 0xFF, mode);
    }

    /**
     * Decodes a VRRP message given the IP layer's facts: for IPv6 the payload with the source and
     * destination from recvmsg and the hop limit from IPV6_HOPLIMIT.
     */
    public static Decoded decodeVrrp(IpFamily family, byte[] b, int off, int len, IpAddress source,
                                     IpAddress destination, int ttl, V3Ipv4Checksum mode) {
        if (outOfBounds(b, off, len)) {
            return drop(DropReason.TRUNCATED, "receive buffer of " + (b == null ? 0 : b.length) + " bytes cannot hold "
                    + len + " bytes at offset " + off);
        }
        if (len < 8) {
            return drop(DropReason.TRUNCATED, "VRRP message of " + len + " bytes, the header needs 8");
        }
        int versionBits = (b[off] & 0xF0) >>> 4;
        VrrpVersion version = versionBits == 2 ? VrrpVersion.V2 : versionBits == 3 ? VrrpVersion.V3 : null;
        if (version == null) {
            return drop(DropReason.BAD_VERSION, "VRRP version " + versionBits + ", expected 2 or 3");
        }
        if (version == VrrpVersion.V2 && family == IpFamily.IPV6) {
            return drop(DropReason.BAD_VERSION, "VRRPv2 advert over IPv6 (v2 is IPv4 only)");
        }
        int type = b[off] & 0x0F;
        if (type != TYPE_ADVERTISEMENT) {
            return drop(DropReason.BAD_TYPE, "VRRP type " + type + ", expected 1 (ADVERTISEMENT)");
        }
        int vrid = b[off + 1] & 0xFF;
        if (vrid == 0) {
            return drop(DropReason.BAD_VRID, "VRID 0");
        }
        int count = b[off + 3] & 0xFF;
        int alen = family.addressLength();
        int expected = 8 + count * alen + (version == VrrpVersion.V2 ? 8 : 0);
        if (len != expected) {
            return drop(DropReason.LENGTH_MISMATCH, "VRRP" + (version == VrrpVersion.V2 ? "v2" : "v3") + " message of "
                    + len + " bytes but " + count + " " + family + " addresses need " + expected);
        }
        boolean v3 = version == VrrpVersion.V3;
        ChecksumForm form = v3 ? ChecksumForm.PSEUDO_HEADER : ChecksumForm.NO_PSEUDO_HEADER;
        if (v3 && family == IpFamily.IPV4) {
            boolean withPseudo = checksum(version, family, source, destination, true, b, off, len) == 0;
            boolean asV2 = checksum(version, family, source, destination, false, b, off, len) == 0;
            form = withPseudo && asV2 ? ChecksumForm.BOTH : withPseudo ? ChecksumForm.PSEUDO_HEADER
                    : ChecksumForm.NO_PSEUDO_HEADER;
            if (!(withPseudo && mode.accepts(true)) && !(asV2 && mode.accepts(false))) {
                return drop(DropReason.BAD_CHECKSUM, "VRRPv3/IPv4 checksum wrong for mode " + mode
                        + (withPseudo ? " (it is right with the IPv4 pseudo-header, as keepalived 2.2.7 and FRR send)"
                        : asV2 ? " (it is right without the pseudo-header, v3_checksum_as_v2 / RFC 9568 style)" : ""));
            }
        } else if (checksum(version, family, source, destination, v3, b, off, len) != 0) {
            return drop(DropReason.BAD_CHECKSUM, "VRRP" + (v3 ? "v3/IPv6" : "v2") + " checksum wrong");
        }
        int interval;
        int authType = 0;
        long authData = 0;
        if (v3) {
            interval = ((b[off + 4] & 0x0F) << 8) | (b[off + 5] & 0xFF); // reserved bits ignored (§5.2.5)
            if (interval == 0) {
                return drop(DropReason.BAD_ADVERT_INTERVAL, "VRRPv3 Max Advert Interval 0");
            }
        } else {
            authType = b[off + 4] & 0xFF;
            if (authType == 2) {
                return drop(DropReason.UNSUPPORTED_AUTH, "v2 auth type 2 (IP Authentication Header) is not supported");
            }
            if (authType != 0 && authType != 1) {
                return drop(DropReason.UNSUPPORTED_AUTH, "v2 auth type " + authType + " is not none (0) or PASS (1)");
            }
            int seconds = b[off + 5] & 0xFF;
            if (seconds == 0) {
                return drop(DropReason.BAD_ADVERT_INTERVAL, "VRRPv2 Adver Int 0");
            }
            interval = seconds * 100;
            authData = IpAddress.readLong(b, off + 8 + count * alen);
        }
        Advert advert = new Advert(version, family, vrid, b[off + 2] & 0xFF, interval,
                readAddresses(family, b, off + 8, count), authType, authData);
        return new Decoded.Accepted(new ReceivedAdvert(advert, source, destination, ttl, form));
    }

    /** An immutable list built without intermediate copies: Advert's List.copyOf then keeps it as is. */
    private static List<IpAddress> readAddresses(IpFamily family, byte[] b, int off, int count) {
        int alen = family.addressLength();
        switch (count) {
            case 0:
                return List.of();
            case 1:
                return List.of(IpAddress.read(family, b, off));
            case 2:
                return List.of(IpAddress.read(family, b, off), IpAddress.read(family, b, off + alen));
            default:
                IpAddress[] addresses = new IpAddress[count];
                for (int i = 0; i < count; i++) {
                    addresses[i] = IpAddress.read(family, b, off + i * alen);
                }
                return List.of(addresses);
        }
    }

    /**
     * The checksum over the VRRP message (field included) and, when asked, the pseudo-header:
     * 0 when a received message checks out, the field value when the field was zero.
     */
    static int checksum(VrrpVersion version, IpFamily family, IpAddress source, IpAddress destination,
                        boolean pseudoHeader, byte[] b, int off, int len) {
        long sum = 0;
        if (pseudoHeader && version == VrrpVersion.V3) {
            sum = InternetChecksum.addAddress(sum, source);
            sum = InternetChecksum.addAddress(sum, destination);
            // IPv4: zero, protocol, length; IPv6 (RFC 8200 §8.1): 32-bit length, 3 zero bytes, next header
            sum += PROTOCOL + (len & 0xFFFF) + (family == IpFamily.IPV6 ? (len >>> 16) : 0);
        }
        return InternetChecksum.finish(InternetChecksum.add(sum, b, off, len));
    }

    private static boolean outOfBounds(byte[] b, int off, int len) {
        return b == null || off < 0 || len < 0 || off > b.length - len;
    }

    private static Decoded drop(DropReason reason, String detail) {
        return new Decoded.Dropped(reason, detail);
    }
}
