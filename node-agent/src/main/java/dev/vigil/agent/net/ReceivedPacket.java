package dev.vigil.agent.net;

import java.net.InetAddress;
import java.util.Arrays;

/**
 * One protocol-112 packet as it arrived: the datagram as the kernel delivered it (for IPv4 with its IP header,
 * which {@code messageOffset} skips; for IPv6 the VRRP message alone), where it came from and went to, its TTL /
 * hop limit, the interface it arrived on and when (on System.nanoTime's clock: the kernel's receive time, or when
 * recvmsg returned it if the kernel gave none; {@link ArrivalClock}).
 */
public record ReceivedPacket(byte[] datagram, int messageOffset, InetAddress source, InetAddress destination, int ttl,
                             int interfaceIndex, long arrivalNanos) {
    public ReceivedPacket {
        datagram = datagram.clone();
        if (messageOffset < 0 || messageOffset > datagram.length) {
            throw new IllegalArgumentException("message offset " + messageOffset + " outside a datagram of "
                    + datagram.length + " bytes");
        }
    }

    /** The datagram as received: for IPv4 the whole IP packet (header included), for IPv6 the VRRP message. */
    @Override
    public byte[] datagram() {
        return datagram.clone();
    }

    /** The VRRP message alone. */
    public byte[] vrrpMessage() {
        return Arrays.copyOfRange(datagram, messageOffset, datagram.length);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ReceivedPacket p && Arrays.equals(datagram, p.datagram) && messageOffset == p.messageOffset
                && source.equals(p.source) && destination.equals(p.destination) && ttl == p.ttl
                && interfaceIndex == p.interfaceIndex && arrivalNanos == p.arrivalNanos;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(datagram) * 31 + Long.hashCode(arrivalNanos);
    }

    @Override
    public String toString() {
        return "ReceivedPacket[" + (datagram.length - messageOffset) + " bytes " + AddressText.of(source) + " -> "
                + AddressText.of(destination) + " ttl " + ttl + " if " + interfaceIndex + "]";
    }
}
