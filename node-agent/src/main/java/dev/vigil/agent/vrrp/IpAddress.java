package dev.vigil.agent.vrrp;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IPv4 or IPv6 address as two longs: cheap to decode from a packet (no array), ordered like the
 * unsigned integers VRRP compares ("higher primary address wins", RFC 5798 §6.4.3).
 * IPv4 keeps its 32 bits in the low half of {@code lo}; {@code hi} is 0.
 */
public record IpAddress(IpFamily family, long hi, long lo) implements Comparable<IpAddress> {

    public IpAddress {
        if (family == null) {
            throw new IllegalArgumentException("address family is required");
        }
        if (family == IpFamily.IPV4 && (hi != 0 || (lo >>> 32) != 0)) {
            throw new IllegalArgumentException("IPv4 address must fit in 32 bits");
        }
    }

    public static IpAddress ipv4(int bits) {
        return new IpAddress(IpFamily.IPV4, 0, bits & 0xFFFF_FFFFL);
    }

    /** Reads an address of the given family at {@code off}; the caller has checked the bounds. */
    public static IpAddress read(IpFamily family, byte[] b, int off) {
        if (family == IpFamily.IPV4) {
            return new IpAddress(IpFamily.IPV4, 0, readInt(b, off) & 0xFFFF_FFFFL);
        }
        return new IpAddress(IpFamily.IPV6, readLong(b, off), readLong(b, off + 8));
    }

    /** Parses a numeric literal ("192.0.2.1", "fe80::1"); never resolves names. */
    public static IpAddress parse(String literal) {
        if (literal == null || literal.isEmpty() || !literal.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == '.' || c == ':')) {
            throw new IllegalArgumentException("not a numeric IP address: '" + literal + "'");
        }
        try {
            return of(InetAddress.getByName(literal));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not a numeric IP address: '" + literal + "'", e);
        }
    }

    public static IpAddress of(InetAddress address) {
        byte[] b = address.getAddress();
        return read(b.length == 4 ? IpFamily.IPV4 : IpFamily.IPV6, b, 0);
    }

    /** Writes the address at {@code off} in network order. */
    public void write(byte[] b, int off) {
        if (family == IpFamily.IPV4) {
            writeInt(b, off, (int) lo);
        } else {
            writeLong(b, off, hi);
            writeLong(b, off + 8, lo);
        }
    }

    public byte[] bytes() {
        byte[] b = new byte[family.addressLength()];
        write(b, 0);
        return b;
    }

    public InetAddress toInetAddress() {
        try {
            return InetAddress.getByAddress(bytes());
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // cannot happen: the length is always 4 or 16
        }
    }

    public boolean isMulticast() {
        return family == IpFamily.IPV4 ? (lo >>> 28) == 0xE : (hi >>> 56) == 0xFF;
    }

    @Override
    public int compareTo(IpAddress o) {
        int c = Long.compareUnsigned(hi, o.hi);
        return c != 0 ? c : Long.compareUnsigned(lo, o.lo);
    }

    @Override
    public String toString() {
        return toInetAddress().getHostAddress();
    }

    static int readInt(byte[] b, int off) {
        return (b[off] & 0xFF) << 24 | (b[off + 1] & 0xFF) << 16 | (b[off + 2] & 0xFF) << 8 | (b[off + 3] & 0xFF);
    }

    static long readLong(byte[] b, int off) {
        return (readInt(b, off) & 0xFFFF_FFFFL) << 32 | (readInt(b, off + 4) & 0xFFFF_FFFFL);
    }

    static void writeInt(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    static void writeLong(byte[] b, int off, long v) {
        writeInt(b, off, (int) (v >>> 32));
        writeInt(b, off + 4, (int) v);
    }
}
