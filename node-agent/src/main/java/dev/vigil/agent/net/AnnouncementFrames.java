package dev.vigil.agent.net;

import java.net.Inet4Address;
import java.net.Inet6Address;

/**
 * The Ethernet frames that tell a segment where a VIP now lives, byte for byte as keepalived builds them
 * (keepalived.md §3; vrrp_arp.c, vrrp_ndisc.c).
 */
final class AnnouncementFrames {
    static final int GARP_LENGTH = 42;
    static final int NA_LENGTH = 86;
    static final byte[] BROADCAST = {-1, -1, -1, -1, -1, -1};
    /** 33:33 + the low 32 bits of ff02::1, the all-nodes group (RFC 2464 §7). */
    static final byte[] ALL_NODES_MAC = {0x33, 0x33, 0, 0, 0, 1};
    static final byte[] ALL_NODES = {(byte) 0xFF, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

    private AnnouncementFrames() {}

    /**
     * Gratuitous ARP in keepalived's REQUEST form: broadcast, sender = target = the VIP, sender hardware = our MAC,
     * target hardware ff:ff:ff:ff:ff:ff (RFC 5227 §3 allows either form; hosts update their cache from both).
     */
    static byte[] gratuitousArp(MacAddress source, Inet4Address vip) {
        byte[] mac = ethernet(source);
        byte[] ip = vip.getAddress();
        byte[] f = new byte[GARP_LENGTH];
        System.arraycopy(BROADCAST, 0, f, 0, 6);
        System.arraycopy(mac, 0, f, 6, 6);
        put16(f, 12, LinuxAbi.ETH_P_ARP);
        put16(f, 14, LinuxAbi.ARPHRD_ETHER);
        put16(f, 16, LinuxAbi.ETH_P_IP);
        f[18] = 6;
        f[19] = 4;
        put16(f, 20, 1); // ARPOP_REQUEST
        System.arraycopy(mac, 0, f, 22, 6);
        System.arraycopy(ip, 0, f, 28, 4);
        System.arraycopy(BROADCAST, 0, f, 32, 6);
        System.arraycopy(ip, 0, f, 38, 4);
        return f;
    }

    /**
     * Unsolicited neighbour advertisement (RFC 4861 §7.2.6): from the VIP to ff02::1, hop limit 255, Override set,
     * Solicited clear, Router as the interface forwards, with the Target Link-Layer Address option.
     */
    static byte[] unsolicitedNeighbourAdvertisement(MacAddress source, Inet6Address vip, boolean router) {
        byte[] mac = ethernet(source);
        byte[] ip = vip.getAddress();
        byte[] f = new byte[NA_LENGTH];
        System.arraycopy(ALL_NODES_MAC, 0, f, 0, 6);
        System.arraycopy(mac, 0, f, 6, 6);
        put16(f, 12, LinuxAbi.ETH_P_IPV6);
        int ip6 = 14, icmp = ip6 + 40, icmpLength = 32;
        f[ip6] = 0x60;
        put16(f, ip6 + 4, icmpLength);
        f[ip6 + 6] = (byte) LinuxAbi.IPPROTO_ICMPV6;
        f[ip6 + 7] = (byte) 255;
        System.arraycopy(ip, 0, f, ip6 + 8, 16);
        System.arraycopy(ALL_NODES, 0, f, ip6 + 24, 16);
        f[icmp] = (byte) 136; // ND_NEIGHBOR_ADVERT
        f[icmp + 4] = (byte) ((router ? 0x80 : 0) | 0x20); // R, (S clear), O
        System.arraycopy(ip, 0, f, icmp + 8, 16);
        f[icmp + 24] = 2; // ND_OPT_TARGET_LINKADDR
        f[icmp + 25] = 1; // length in units of 8 bytes
        System.arraycopy(mac, 0, f, icmp + 26, 6);
        // Checksum over the IPv6 pseudo-header {src, dst, upper-layer length, 0, next header} and the message.
        byte[] pseudo = new byte[40];
        System.arraycopy(f, ip6 + 8, pseudo, 0, 32);
        pseudo[35] = (byte) icmpLength;
        pseudo[39] = (byte) LinuxAbi.IPPROTO_ICMPV6;
        int sum = InternetChecksum.finish(InternetChecksum.add(InternetChecksum.add(0, pseudo, 0, 40), f, icmp, icmpLength));
        put16(f, icmp + 2, sum);
        return f;
    }

    private static byte[] ethernet(MacAddress mac) {
        if (mac.length() != 6) {
            throw new IllegalArgumentException("not an Ethernet address: " + mac);
        }
        return mac.bytes();
    }

    private static void put16(byte[] f, int offset, int value) {
        f[offset] = (byte) (value >>> 8);
        f[offset + 1] = (byte) value;
    }
}
