package dev.vigil.agent.net;

/** The RFC 1071 ones'-complement sum used by the IPv4 header and ICMPv6 (and VRRP, computed in the vrrp package). */
final class InternetChecksum {
    private InternetChecksum() {}

    /** Sums {@code length} bytes of {@code data} from {@code offset} into a running 32-bit sum. */
    static long add(long sum, byte[] data, int offset, int length) {
        int i = offset;
        int end = offset + length;
        for (; i + 1 < end; i += 2) {
            sum += ((data[i] & 0xFF) << 8) | (data[i + 1] & 0xFF);
        }
        if (i < end) {
            sum += (data[i] & 0xFF) << 8;
        }
        return sum;
    }

    static int finish(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) (~sum & 0xFFFF);
    }

    static int of(byte[] data, int offset, int length) {
        return finish(add(0, data, offset, length));
    }
}
