package dev.vigil.agent.vrrp;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Mutation fuzzing of the decoder: valid adverts of every shape, then bit flips, truncations,
 * extensions, random bytes, and mutations whose checksums are repaired so that they reach the deeper
 * checks. The decoder must never throw, and every packet it accepts must re-encode to the same bytes.
 */
class AdvertCodecFuzzTest {
    private static long tried;
    private static long accepted;
    private static long acceptedMutants;

    private static final long BUDGET_NANOS = 60_000_000_000L; // jqwik ignores JUnit's @Timeout: checked here
    private static long containerStart;

    @BeforeContainer
    static void startClock() {
        containerStart = System.nanoTime();
    }

    @AfterContainer
    static void notVacuous() {
        assertThat(System.nanoTime() - containerStart).as("time budget of the decoder fuzzing").isLessThan(BUDGET_NANOS);
        System.out.printf("decoder fuzz: %d packets, %d accepted, %d of them mutants%n", tried, accepted, acceptedMutants);
        assertThat(acceptedMutants).as("mutated packets that the decoder accepted (so re-encoding was checked)")
                .isGreaterThan(100);
    }

    private record Sample(IpFamily family, byte[] bytes, IpAddress source, IpAddress destination, int ttl,
                          V3Ipv4Checksum mode) {
    }

    @Property(tries = 3000)
    void decoderNeverThrowsAndAcceptedPacketsReencodeIdentically(@ForAll long seed) {
        Random r = new Random(seed);
        Sample valid = validSample(r);
        check(valid, false); // the unmutated packet must be accepted
        for (int i = 0; i < 20; i++) {
            check(mutate(valid, r), true);
        }
    }

    private static void check(Sample s, boolean mutant) {
        tried++;
        Decoded d = s.family() == IpFamily.IPV4
                ? AdvertCodec.decodeIpv4Packet(s.bytes(), 0, s.bytes().length, s.mode())
                : AdvertCodec.decodeVrrp(IpFamily.IPV6, s.bytes(), 0, s.bytes().length, s.source(), s.destination(),
                s.ttl(), s.mode());
        if (!mutant) {
            assertThat(d).as("valid packet").isInstanceOf(Decoded.Accepted.class);
        }
        if (d instanceof Decoded.Dropped dropped) {
            assertThat(dropped.detail()).isNotBlank();
            return;
        }
        accepted++;
        if (mutant) {
            acceptedMutants++;
        }
        ReceivedAdvert p = ((Decoded.Accepted) d).packet();
        int off = s.family() == IpFamily.IPV4 ? (s.bytes()[0] & 0x0F) * 4 : 0;
        byte[] vrrp = Arrays.copyOfRange(s.bytes(), off, s.bytes().length);
        byte[] again = AdvertCodec.encode(p.advert(), p.source(), p.destination(), s.mode());
        if (p.advert().version() == VrrpVersion.V3 && (vrrp[4] & 0xF0) != 0) {
            // reserved bits are ignored on receipt (RFC 5798 §5.2.5) and sent as zero: same fields, fresh checksum
            vrrp[4] &= 0x0F;
            assertThat(Arrays.copyOfRange(again, 0, 6)).isEqualTo(Arrays.copyOfRange(vrrp, 0, 6));
            assertThat(Arrays.copyOfRange(again, 8, again.length)).isEqualTo(Arrays.copyOfRange(vrrp, 8, vrrp.length));
        } else {
            assertThat(again).as("re-encoding of accepted %s", p).isEqualTo(vrrp);
        }
    }

    static Sample validSample(Random r) {
        boolean v3 = r.nextBoolean();
        IpFamily family = v3 && r.nextBoolean() ? IpFamily.IPV6 : IpFamily.IPV4;
        int count = switch (r.nextInt(4)) {
            case 0 -> 0;
            case 1 -> 255;
            default -> 1 + r.nextInt(4);
        };
        List<IpAddress> addresses = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            addresses.add(family == IpFamily.IPV4 ? IpAddress.ipv4(r.nextInt())
                    : new IpAddress(IpFamily.IPV6, r.nextLong(), r.nextLong()));
        }
        Advert a = v3 ? Advert.v3(family, 1 + r.nextInt(255), r.nextInt(256), 1 + r.nextInt(4095), addresses)
                : Advert.v2(1 + r.nextInt(255), r.nextInt(256), 1 + r.nextInt(255), addresses,
                r.nextBoolean() ? Authentication.NONE : Authentication.pass("pw" + r.nextInt(1000)));
        V3Ipv4Checksum mode = r.nextBoolean() ? V3Ipv4Checksum.WITH_PSEUDO_HEADER : V3Ipv4Checksum.AS_V2;
        IpAddress src = Lab.primary(family, r.nextInt(200));
        IpAddress dst = r.nextBoolean() ? AdvertCodec.multicastGroup(family) : Lab.primary(family, 201);
        byte[] bytes = family == IpFamily.IPV4
                ? AdvertCodec.encodeIpv4Packet(a, src, dst, 255, r.nextInt(65536), mode)
                : AdvertCodec.encode(a, src, dst, mode);
        return new Sample(family, bytes, src, dst, 255, mode);
    }

    static Sample mutate(Sample s, Random r) {
        byte[] b = s.bytes().clone();
        boolean repair = false;
        switch (r.nextInt(6)) {
            case 0 -> { // bit flips
                for (int i = 0, n = 1 + r.nextInt(8); i < n; i++) {
                    int bit = r.nextInt(b.length * 8);
                    b[bit / 8] ^= (byte) (1 << (bit % 8));
                }
            }
            case 1 -> b = Arrays.copyOf(b, r.nextInt(b.length)); // truncation
            case 2 -> { // extension with random bytes
                int old = b.length;
                b = Arrays.copyOf(b, old + 1 + r.nextInt(40));
                for (int i = old; i < b.length; i++) {
                    b[i] = (byte) r.nextInt();
                }
                repair = r.nextBoolean();
            }
            case 3 -> { // random bytes
                b = new byte[r.nextInt(120)];
                r.nextBytes(b);
                if (b.length > 0 && r.nextBoolean()) {
                    b[0] = (byte) (s.family() == IpFamily.IPV4 ? 0x45 : 0x31);
                }
                repair = r.nextBoolean();
            }
            default -> { // flips in the VRRP header, checksums repaired so deeper checks run
                int off = s.family() == IpFamily.IPV4 ? 20 : 0;
                for (int i = 0, n = 1 + r.nextInt(3); i < n; i++) {
                    int bit = r.nextInt(8 * 8);
                    b[off + bit / 8] ^= (byte) (1 << (bit % 8));
                }
                repair = true;
            }
        }
        if (repair) {
            repairChecksums(s, b);
        }
        return new Sample(s.family(), b, s.source(), s.destination(), s.ttl(), s.mode());
    }

    /** Rewrites the IPv4 total length and both checksums so the mutant passes them. */
    private static void repairChecksums(Sample s, byte[] b) {
        int off = 0;
        IpAddress src = s.source();
        IpAddress dst = s.destination();
        if (s.family() == IpFamily.IPV4) {
            if (b.length < 20 || (b[0] & 0xF0) != 0x40 || (b[0] & 0x0F) * 4 > b.length || (b[0] & 0x0F) < 5) {
                return;
            }
            off = (b[0] & 0x0F) * 4;
            b[2] = (byte) (b.length >>> 8);
            b[3] = (byte) b.length;
            b[10] = 0;
            b[11] = 0;
            int h = InternetChecksum.finish(InternetChecksum.add(0, b, 0, off));
            b[10] = (byte) (h >>> 8);
            b[11] = (byte) h;
            src = IpAddress.read(IpFamily.IPV4, b, 12);
            dst = IpAddress.read(IpFamily.IPV4, b, 16);
        }
        if (b.length - off < 8) {
            return;
        }
        int version = (b[off] & 0xF0) >>> 4;
        VrrpVersion v = version == 3 ? VrrpVersion.V3 : VrrpVersion.V2;
        b[off + 6] = 0;
        b[off + 7] = 0;
        boolean pseudo = v == VrrpVersion.V3 && (s.family() == IpFamily.IPV6 || s.mode().sendsPseudoHeader());
        int c = AdvertCodec.checksum(v, s.family(), src, dst, pseudo, b, off, b.length - off);
        b[off + 6] = (byte) (c >>> 8);
        b[off + 7] = (byte) c;
    }
}
