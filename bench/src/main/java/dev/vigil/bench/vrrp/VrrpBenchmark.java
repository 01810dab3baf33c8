package dev.vigil.bench.vrrp;

import dev.vigil.agent.vrrp.Advert;
import dev.vigil.agent.vrrp.AdvertCodec;
import dev.vigil.agent.vrrp.Decoded;
import dev.vigil.agent.vrrp.IpAddress;
import dev.vigil.agent.vrrp.IpFamily;
import dev.vigil.agent.vrrp.ReceivedAdvert;
import dev.vigil.agent.vrrp.RouterAction;
import dev.vigil.agent.vrrp.RouterConfig;
import dev.vigil.agent.vrrp.RouterInput;
import dev.vigil.agent.vrrp.V3Ipv4Checksum;
import dev.vigil.agent.vrrp.VrrpRouter;
import dev.vigil.agent.vrrp.VrrpVersion;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The VRRP core's hot paths (issue 3): decode+validate one received advert, encode one advert, and one
 * router step (a backup hearing its master). Figures go to bench/RESULTS.md; nothing asserts them.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class VrrpBenchmark {
    private static final IpAddress SOURCE = IpAddress.parse("192.0.2.12");
    private static final IpAddress GROUP = AdvertCodec.MULTICAST_V4;

    private byte[] packet;
    private byte[] out;
    private Advert advert;
    private VrrpRouter backup;
    private RouterInput.AdvertReceived fromMaster;
    private long now;

    @Setup
    public void setUp() {
        List<IpAddress> vips = List.of(IpAddress.parse("192.0.2.100"));
        advert = Advert.v3(IpFamily.IPV4, 51, 150, 100, vips);
        packet = AdvertCodec.encodeIpv4Packet(advert, SOURCE, GROUP, 255, 1, V3Ipv4Checksum.WITH_PSEUDO_HEADER);
        out = new byte[packet.length];
        backup = new VrrpRouter(RouterConfig.builder("VI_1", 51, IpAddress.parse("192.0.2.11"))
                .version(VrrpVersion.V3).priority(100).vips(vips).build());
        backup.handle(new RouterInput.Start(), 0);
        Decoded d = AdvertCodec.decodeIpv4Packet(packet, 0, packet.length, V3Ipv4Checksum.WITH_PSEUDO_HEADER);
        fromMaster = new RouterInput.AdvertReceived(((Decoded.Accepted) d).packet());
    }

    /** IPv4 datagram -> validated advert record (IP header, length, version, type, checksum with pseudo-header). */
    @Benchmark
    public Decoded decodeAndValidate() {
        return AdvertCodec.decodeIpv4Packet(packet, 0, packet.length, V3Ipv4Checksum.WITH_PSEUDO_HEADER);
    }

    /** Advert record -> VRRP message bytes in a reused buffer (the checksum included). */
    @Benchmark
    public int encode() {
        return AdvertCodec.encodeInto(advert, SOURCE, GROUP, V3Ipv4Checksum.WITH_PSEUDO_HEADER, out, 0);
    }

    /** One state-machine step: a backup validates its master's advert and re-arms Master_Down_Timer. */
    @Benchmark
    public List<RouterAction> routerStep() {
        now += 1_000_000_000L;
        return backup.handle(fromMaster, now);
    }

    /** The whole receive path: decode, validate, then the router step. */
    @Benchmark
    public List<RouterAction> receivePath() {
        now += 1_000_000_000L;
        Decoded d = AdvertCodec.decodeIpv4Packet(packet, 0, packet.length, V3Ipv4Checksum.WITH_PSEUDO_HEADER);
        ReceivedAdvert p = ((Decoded.Accepted) d).packet();
        return backup.handle(new RouterInput.AdvertReceived(p), now);
    }
}
