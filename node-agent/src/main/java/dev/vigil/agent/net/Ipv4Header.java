package dev.vigil.agent.net;

import java.net.Inet4Address;

/**
 * The 20-byte IPv4 header Vigil writes itself (IP_HDRINCL), as keepalived does, so that the source address in the
 * VRRPv3 pseudo-header checksum is the one on the wire: TOS 0xC0 (CS6, keepalived's), TTL 255 (RFC 5798 §5.1.1.3),
 * protocol 112, DF clear.
 */
final class Ipv4Header {
    static final int LENGTH = 20;
    static final int TOS_NETWORK_CONTROL = 0xC0;

    private Ipv4Header() {}

    /** Header + payload. A null source leaves 0.0.0.0 for the kernel to fill with the interface's address. */
    static byte[] packet(Inet4Address source, Inet4Address destination, int identification, byte[] payload) {
        int total = LENGTH + payload.length;
        if (total > 0xFFFF) {
            throw new IllegalArgumentException("packet of " + total + " bytes exceeds the IPv4 maximum");
        }
        byte[] p = new byte[total];
        p[0] = 0x45; // version 4, IHL 5 words
        p[1] = (byte) TOS_NETWORK_CONTROL;
        p[2] = (byte) (total >>> 8);
        p[3] = (byte) total;
        p[4] = (byte) (identification >>> 8);
        p[5] = (byte) identification;
        p[8] = (byte) 255;
        p[9] = (byte) LinuxAbi.IPPROTO_VRRP;
        if (source != null) {
            System.arraycopy(source.getAddress(), 0, p, 12, 4);
        }
        System.arraycopy(destination.getAddress(), 0, p, 16, 4);
        int sum = InternetChecksum.of(p, 0, LENGTH);
        p[10] = (byte) (sum >>> 8);
        p[11] = (byte) sum;
        System.arraycopy(payload, 0, p, LENGTH, payload.length);
        return p;
    }
}
