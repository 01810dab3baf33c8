package dev.vigil.agent.vrrp;

/** RFC 1071 one's-complement sum, the checksum of IPv4 headers and of VRRP messages. */
final class InternetChecksum {
    private InternetChecksum() {
    }

    /** Adds {@code len} bytes to a running 32-bit sum (an odd trailing byte is padded with zero). */
    static long add(long sum, byte[] b, int off, int len) {
        int end = off + len - 1;
        int i = off;
        for (; i < end; i += 2) {
            sum += (b[i] & 0xFF) << 8 | (b[i + 1] & 0xFF);
        }
        if (i == end) {
            sum += (b[i] & 0xFF) << 8;
        }
        return sum;
    }

    static long addAddress(long sum, IpAddress a) {
        if (a.family() == IpFamily.IPV4) {
            return sum + ((a.lo() >>> 16) & 0xFFFF) + (a.lo() & 0xFFFF);
        }
        return sum + words(a.hi()) + words(a.lo());
    }

    private static long words(long v) {
        return ((v >>> 48) & 0xFFFF) + ((v >>> 32) & 0xFFFF) + ((v >>> 16) & 0xFFFF) + (v & 0xFFFF);
    }

    /** Folds the carries and complements: the value to put in a checksum field. */
    static int finish(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) (~sum & 0xFFFF);
    }
}
