package dev.vigil.agent.vrrp;

import dev.vigil.lab.Capture;
import dev.vigil.lab.Host;
import dev.vigil.lab.HostProcess;
import dev.vigil.lab.NetLab;
import dev.vigil.lab.Requirements;
import dev.vigil.lab.Segment;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Vigil's codec against a live keepalived 2.2.7 in a NetLab: keepalived's adverts (v2, v2 PASS,
 * v3/IPv4, v3/IPv6, and its priority-0 resignations) must decode, pass a router configured alike and
 * re-encode byte for byte; and keepalived must judge the adverts Vigil encodes as valid, which is
 * proven by it staying BACKUP under them and, as the control, not under the RFC 9568 checksum form.
 */
@Timeout(180)
class KeepalivedInteropIT {

    @RegisterExtension
    final NetLab lab = NetLab.extension();

    @BeforeEach
    void requirements() {
        Requirements.requireCommand("keepalived");
        Requirements.requireCommand("tshark");
        Requirements.requireCommand("python3");
    }

    @Test
    @DisplayName("live keepalived 2.2.7 adverts of every kind decode, validate in a peer router and re-encode identically")
    void keepalivedAdvertsDecode() throws Exception {
        Segment seg = lab.segment("vrrp");
        Host ka = lab.host("ka", seg);
        StringBuilder conf0 = new StringBuilder("global_defs {\n  router_id vigil-interop\n  vrrp_garp_master_delay 0\n}\n");
        conf0.append(instance("V2", ka.ifname(), 2, 51, "1", "", seg.ip4(100) + "/24", seg.ip4(101) + "/24"));
        conf0.append(instance("PASS", ka.ifname(), 2, 52, "1",
                "  authentication {\n    auth_type PASS\n    auth_pass s3cret\n  }\n", seg.ip4(102) + "/24"));
        conf0.append(instance("V3", ka.ifname(), 3, 53, "0.5", "", seg.ip4(103) + "/24"));
        conf0.append(instance("V6", ka.ifname(), 3, 54, "1", "", seg.ip6(104) + "/64"));
        Path conf = write("ka.conf", conf0.toString());
        try (Capture capture = lab.capture(seg)) {
            HostProcess keepalived = startKeepalived(ka, conf);
            for (int vrid = 51; vrid <= 54; vrid++) {
                awaitCount(capture, "vrrp.virt_rtr_id == " + vrid + " && vrrp.prio > 0", 2, Duration.ofSeconds(40));
            }
            keepalived.stop(Duration.ofSeconds(10)); // SIGTERM: one priority-0 advert per master
            capture.stop();

            List<byte[]> frames = frames(capture.file(), "vrrp");
            assertThat(frames).hasSizeGreaterThanOrEqualTo(8);
            int[] perVrid = new int[256];
            int resignations = 0;
            for (byte[] frame : frames) {
                ReceivedAdvert p = decodeAndReencode(frame);
                Advert a = p.advert();
                perVrid[a.vrid()]++;
                if (a.priority() == 0) {
                    resignations++;
                } else {
                    assertThat(a.priority()).isEqualTo(254);
                }
                assertThat(p.ttl()).isEqualTo(255);
                switch (a.vrid()) {
                    case 51 -> assertThat(a.addresses()).containsExactly(Lab.ip(seg.ip4(100)), Lab.ip(seg.ip4(101)));
                    case 52 -> assertThat(a.authData()).isEqualTo(Authentication.pass("s3cret").data());
                    case 53 -> assertThat(a.intervalCentis()).isEqualTo(50);
                    case 54 -> assertThat(a.addresses()).containsExactly(Lab.ip(seg.ip6(104)));
                    default -> throw new AssertionError("unexpected VRID " + a.vrid());
                }
                // a router configured like keepalived's peer accepts it without a single drop
                VrrpRouter peer = new VrrpRouter(RouterConfig.builder("peer", a.vrid(),
                                a.family() == IpFamily.IPV4 ? Lab.ip(seg.ip4(200)) : Lab.ip("fe80::200"))
                        .version(a.version()).advertIntervalCentis(a.intervalCentis()).vips(a.addresses())
                        .auth(a.vrid() == 52 ? Authentication.pass("s3cret") : Authentication.NONE).build());
                peer.handle(new RouterInput.Start(), 0);
                peer.handle(new RouterInput.AdvertReceived(p), 1);
                assertThat(peer.counters().drops()).as("drops of %s", a).isEmpty();
                assertThat(peer.counters().advertsReceived()).isEqualTo(1);
            }
            assertThat(perVrid[51]).isPositive();
            assertThat(perVrid[52]).isPositive();
            assertThat(perVrid[53]).isPositive();
            assertThat(perVrid[54]).isPositive();
            assertThat(resignations).as("priority-0 adverts on SIGTERM").isPositive();
        }
    }

    @Test
    @DisplayName("keepalived 2.2.7 accepts Vigil's adverts (v2, v2 PASS, v3/IPv4, v3/IPv6: it stays BACKUP under them) and takes over under broken ones")
    void keepalivedAcceptsVigilAdverts() throws Exception {
        Segment seg = lab.segment("vrrp");
        Host ka = lab.host("ka", seg);
        Host vigil = lab.host("vigil", seg);
        String ifname = ka.ifname();
        Path conf = write("backup.conf", "global_defs {\n  router_id vigil-interop\n}\n"
                + instance("VI_60", ifname, 2, 60, "1", "", seg.ip4(100) + "/24").replace("priority 254", "priority 100")
                + instance("VI_61", ifname, 2, 61, "1", "  authentication {\n    auth_type PASS\n    auth_pass s3cret\n  }\n",
                seg.ip4(101) + "/24").replace("priority 254", "priority 100")
                + instance("VI_62", ifname, 3, 62, "1", "", seg.ip4(102) + "/24").replace("priority 254", "priority 100")
                + instance("VI_63", ifname, 3, 63, "1", "", seg.ip6(103) + "/64").replace("priority 254", "priority 100"));
        IpAddress src4 = Lab.ip(vigil.address());
        IpAddress src6 = Lab.ip(linkLocal(vigil));
        Advert v2 = Advert.v2(60, 200, 1, List.of(Lab.ip(seg.ip4(100))), Authentication.NONE);
        Advert pass = Advert.v2(61, 200, 1, List.of(Lab.ip(seg.ip4(101))), Authentication.pass("s3cret"));
        Advert v3 = Advert.v3(IpFamily.IPV4, 62, 200, 100, List.of(Lab.ip(seg.ip4(102))));
        Advert v6 = Advert.v3(IpFamily.IPV6, 63, 200, 100, List.of(Lab.ip(seg.ip6(103))));
        V3Ipv4Checksum form = V3Ipv4Checksum.WITH_PSEUDO_HEADER;
        List<byte[]> valid = List.of(
                ethernet4(vigil.mac(), AdvertCodec.encodeIpv4Packet(v2, src4, AdvertCodec.MULTICAST_V4, 255, 1, form)),
                ethernet4(vigil.mac(), AdvertCodec.encodeIpv4Packet(pass, src4, AdvertCodec.MULTICAST_V4, 255, 2, form)),
                ethernet4(vigil.mac(), AdvertCodec.encodeIpv4Packet(v3, src4, AdvertCodec.MULTICAST_V4, 255, 3, form)),
                ethernet6(vigil.mac(), src6, AdvertCodec.encode(v6, src6, AdvertCodec.MULTICAST_V6, form)));

        HostProcess sender = send(vigil, valid, 12);
        HostProcess keepalived = startKeepalived(ka, conf);
        for (int vrid = 60; vrid <= 63; vrid++) {
            keepalived.awaitLog("(VI_" + vrid + ") Entering BACKUP STATE", Duration.ofSeconds(20));
        }
        sender.waitFor(Duration.ofSeconds(40));
        assertThat(keepalived.log()).as("keepalived while Vigil advertised").doesNotContain("Entering MASTER STATE");
        for (int vrid = 60; vrid <= 63; vrid++) { // alive and judging: takes over once Vigil is silent
            keepalived.awaitLog("(VI_" + vrid + ") Entering MASTER STATE", Duration.ofSeconds(15));
        }
        keepalived.stop(Duration.ofSeconds(10));

        // the control: TTL 254, a wrong password, the RFC 9568 checksum form and a broken IPv6 checksum are refused
        byte[] badV6 = AdvertCodec.encode(v6, src6, AdvertCodec.MULTICAST_V6, form);
        badV6[7] ^= 1;
        List<byte[]> refused = List.of(
                ethernet4(vigil.mac(), AdvertCodec.encodeIpv4Packet(v2, src4, AdvertCodec.MULTICAST_V4, 254, 1, form)),
                ethernet4(vigil.mac(), AdvertCodec.encodeIpv4Packet(Advert.v2(61, 200, 1, pass.addresses(),
                        Authentication.pass("wrong")), src4, AdvertCodec.MULTICAST_V4, 255, 2, form)),
                ethernet4(vigil.mac(), AdvertCodec.encodeIpv4Packet(v3, src4, AdvertCodec.MULTICAST_V4, 255, 3,
                        V3Ipv4Checksum.AS_V2)),
                ethernet6(vigil.mac(), src6, badV6));
        HostProcess control = send(vigil, refused, 12);
        HostProcess keepalived2 = startKeepalived(ka, conf);
        for (int vrid = 60; vrid <= 63; vrid++) {
            keepalived2.awaitLog("(VI_" + vrid + ") Entering MASTER STATE", Duration.ofSeconds(15));
        }
        assertThat(control.isAlive()).as("all took over while the refused adverts were still being sent").isTrue();
        keepalived2.stop(Duration.ofSeconds(10));
        control.stop(Duration.ofSeconds(5));
    }

    // ---------------------------------------------------------------- helpers

    private static String instance(String name, String ifname, int version, int vrid, String interval, String extra,
                                   String... vips) {
        StringBuilder b = new StringBuilder("vrrp_instance " + name + " {\n  state BACKUP\n  interface " + ifname
                + "\n  version " + version + "\n  virtual_router_id " + vrid + "\n  priority 254\n  advert_int "
                + interval + "\n" + extra + "  virtual_ipaddress {\n");
        for (String vip : vips) {
            b.append("    ").append(vip).append('\n');
        }
        return b.append("  }\n}\n").toString();
    }

    private Path write(String name, String content) throws IOException {
        Path p = lab.workDir().resolve(name);
        Files.writeString(p, content, StandardCharsets.UTF_8);
        return p;
    }

    private HostProcess startKeepalived(Host host, Path conf) {
        Path dir = lab.workDir();
        String tag = host.name() + System.nanoTime();
        return host.start("keepalived", "-n", "-l", "-D", "-f", conf.toString(),
                "-p", dir.resolve(tag + ".pid").toString(), "-r", dir.resolve(tag + "-vrrp.pid").toString());
    }

    /** Sends the Ethernet frames {@code rounds} times, once a second, from an AF_PACKET socket in the host. */
    private static HostProcess send(Host host, List<byte[]> frames, int rounds) {
        String script = "import socket,sys,time\n"
                + "s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW)\n"
                + "s.bind((sys.argv[1],0))\n"
                + "fs=[bytes.fromhex(h) for h in sys.argv[3:]]\n"
                + "for i in range(int(sys.argv[2])):\n"
                + "    [s.send(f) for f in fs]; time.sleep(1)\n";
        List<String> argv = new ArrayList<>(List.of("python3", "-c", script, host.ifname(), Integer.toString(rounds)));
        frames.forEach(f -> argv.add(HexFormat.of().formatHex(f)));
        return host.start(argv.toArray(String[]::new));
    }

    private static String linkLocal(Host host) {
        String out = host.exec("ip", "-6", "-o", "addr", "show", "dev", host.ifname(), "scope", "link").stdout();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("inet6 (fe80::[0-9a-f:]+)/").matcher(out);
        assertThat(m.find()).as("link-local address of %s in: %s", host, out).isTrue();
        return m.group(1);
    }

    /** IPv4 multicast frame to 01:00:5e:00:00:12 from {@code mac}. */
    private static byte[] ethernet4(String mac, byte[] ipPacket) {
        return frame("01005e000012", mac, 0x0800, ipPacket);
    }

    /** IPv6 frame to 33:33:00:00:00:12 with a header as keepalived sends it (traffic class 0xC0, hop limit 255). */
    private static byte[] ethernet6(String mac, IpAddress source, byte[] vrrp) {
        byte[] ip = new byte[40 + vrrp.length];
        ip[0] = 0x6C;
        ip[4] = (byte) (vrrp.length >>> 8);
        ip[5] = (byte) vrrp.length;
        ip[6] = (byte) AdvertCodec.PROTOCOL;
        ip[7] = (byte) 255;
        source.write(ip, 8);
        AdvertCodec.MULTICAST_V6.write(ip, 24);
        System.arraycopy(vrrp, 0, ip, 40, vrrp.length);
        return frame("333300000012", mac, 0x86DD, ip);
    }

    private static byte[] frame(String dstMac, String srcMac, int etherType, byte[] payload) {
        byte[] f = new byte[14 + payload.length];
        System.arraycopy(HexFormat.of().parseHex(dstMac), 0, f, 0, 6);
        System.arraycopy(HexFormat.ofDelimiter(":").parseHex(srcMac), 0, f, 6, 6);
        f[12] = (byte) (etherType >>> 8);
        f[13] = (byte) etherType;
        System.arraycopy(payload, 0, f, 14, payload.length);
        return f;
    }

    private static void awaitCount(Capture capture, String filter, int atLeast, Duration timeout) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (capture.count(filter) < atLeast) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("fewer than " + atLeast + " packets matching '" + filter + "' within " + timeout);
            }
            Thread.sleep(500);
        }
    }

    /** Ethernet frames matching the filter, from tshark's hex dump. */
    private static List<byte[]> frames(Path pcap, String filter) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("tshark", "-n", "-r", pcap.toString(), "-Y", filter, "-x")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        List<byte[]> frames = new ArrayList<>();
        StringBuilder hex = new StringBuilder();
        for (String line : (out + "\n\n").split("\n")) {
            if (line.matches("^[0-9a-f]{4}  .*")) {
                hex.append(line, 6, Math.min(line.length(), 54));
            } else if (line.isBlank() && hex.length() > 0) {
                frames.add(HexFormat.of().parseHex(hex.toString().replace(" ", "")));
                hex.setLength(0);
            }
        }
        return frames;
    }

    /** Decodes a captured Ethernet frame as the raw socket would deliver it and checks the re-encoding. */
    private static ReceivedAdvert decodeAndReencode(byte[] frame) {
        int type = (frame[12] & 0xFF) << 8 | (frame[13] & 0xFF);
        if (type == 0x0800) {
            byte[] ip = java.util.Arrays.copyOfRange(frame, 14, 14 + ((frame[16] & 0xFF) << 8 | (frame[17] & 0xFF)));
            Decoded d = AdvertCodec.decodeIpv4Packet(ip, 0, ip.length, V3Ipv4Checksum.WITH_PSEUDO_HEADER);
            assertThat(d).as("keepalived IPv4 advert").isInstanceOf(Decoded.Accepted.class);
            ReceivedAdvert p = ((Decoded.Accepted) d).packet();
            int ipId = (ip[4] & 0xFF) << 8 | (ip[5] & 0xFF);
            assertThat(AdvertCodec.encodeIpv4Packet(p.advert(), p.source(), p.destination(), p.ttl(), ipId,
                    V3Ipv4Checksum.WITH_PSEUDO_HEADER)).isEqualTo(ip);
            return p;
        }
        assertThat(type).isEqualTo(0x86DD);
        int payloadLength = (frame[18] & 0xFF) << 8 | (frame[19] & 0xFF);
        IpAddress src = IpAddress.read(IpFamily.IPV6, frame, 22);
        IpAddress dst = IpAddress.read(IpFamily.IPV6, frame, 38);
        byte[] payload = java.util.Arrays.copyOfRange(frame, 54, 54 + payloadLength);
        Decoded d = AdvertCodec.decodeVrrp(IpFamily.IPV6, payload, 0, payload.length, src, dst, frame[21] & 0xFF,
                V3Ipv4Checksum.WITH_PSEUDO_HEADER);
        assertThat(d).as("keepalived IPv6 advert").isInstanceOf(Decoded.Accepted.class);
        ReceivedAdvert p = ((Decoded.Accepted) d).packet();
        assertThat(AdvertCodec.encode(p.advert(), src, dst, V3Ipv4Checksum.WITH_PSEUDO_HEADER)).isEqualTo(payload);
        return p;
    }
}
