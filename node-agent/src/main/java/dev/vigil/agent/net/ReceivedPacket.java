package dev.vigil.agent.net;

import java.net.InetAddress;

/**
 * One protocol-112 packet as it arrived: the VRRP message (the IPv4 header already removed), where it came from and
 * went to, its TTL / hop limit, the interface it arrived on and when (System.nanoTime, read right after recvmsg).
 */
public record ReceivedPacket(byte[] vrrpMessage, InetAddress source, InetAddress destination, int ttl,
                             int interfaceIndex, long arrivalNanos) {
    public ReceivedPacket {
        vrrpMessage = vrrpMessage.clone();
    }

    @Override
    public byte[] vrrpMessage() {
        return vrrpMessage.clone();
    }

    @Override
    public String toString() {
        return "ReceivedPacket[" + vrrpMessage.length + " bytes " + AddressText.of(source) + " -> "
                + AddressText.of(destination) + " ttl " + ttl + " if " + interfaceIndex + "]";
    }
}
