package dev.vigil.agent.net;

import dev.vigil.lab.Host;
import dev.vigil.lab.HostProcess;
import dev.vigil.lab.NetLab;
import dev.vigil.lab.Requirements;
import dev.vigil.lab.Segment;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * keepalived 2.2.7 on host a, Vigil's sockets on host b: keepalived's adverts reach us intact, and ours (IPv4
 * multicast with our own header, IPv4 unicast, IPv6 with the kernel's checksum) are accepted by keepalived, which
 * stays BACKUP while we advertise a higher priority and takes over when we stop.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KeepalivedInteropIT {
    @RegisterExtension
    final NetLab lab = NetLab.extension();
    private Segment segment;
    private Host a, b;

    @BeforeEach
    void hosts() {
        Requirements.requireCommand("keepalived");
        segment = lab.segment("one");
        a = lab.host("a", segment);
        b = lab.host("b", segment);
    }

    private HostProcess startKeepalived(String state, int priority, String extra, String vip) throws Exception {
        Path dir = lab.workDir();
        Path conf = dir.resolve("keepalived.conf");
        Files.writeString(conf, """
                global_defs {
                  router_id vigil_interop
                  vrrp_version 3
                  script_user root
                }
                vrrp_instance VI_1 {
                  state %s
                  interface eth0
                  virtual_router_id 71
                  priority %d
                  advert_int 0.1
                  %s
                  virtual_ipaddress {
                    %s
                  }
                }
                """.formatted(state, priority, extra, vip));
        return a.start("keepalived", "-n", "-l", "-D", "-P", "-f", conf.toString(),
                "-p", dir.resolve("keepalived.pid").toString(), "-r", dir.resolve("vrrp.pid").toString());
    }

    @Test
    void keepalivedsAdvertsArriveWithTtl255AndAChecksumOverTheRealAddresses() throws Exception {
        BlockingQueue<ReceivedPacket> atB = new LinkedBlockingQueue<>();
        try (VrrpSocket rx = InNamespace.call(b, () -> VrrpSocket.open(VrrpSocketSpec.multicast("eth0", IpFamily.IPV4), atB::add))) {
            startKeepalived("MASTER", 150, "", segment.ip4(100) + "/32");
            ReceivedPacket p = atB.poll(10, TimeUnit.SECONDS);
            assertThat(p).as("an advert from keepalived").isNotNull();
            assertThat(p.source()).isEqualTo(InetAddress.getByName(a.address()));
            assertThat(p.destination()).isEqualTo(InetAddress.getByName("224.0.0.18"));
            assertThat(p.ttl()).isEqualTo(255);
            byte[] m = p.vrrpMessage();
            assertThat(m[0]).isEqualTo((byte) 0x31);
            assertThat(m[1] & 0xFF).isEqualTo(71);
            assertThat(m[2] & 0xFF).isEqualTo(150);
            byte[] pseudo = new byte[12];
            System.arraycopy(p.source().getAddress(), 0, pseudo, 0, 4);
            System.arraycopy(p.destination().getAddress(), 0, pseudo, 4, 4);
            pseudo[9] = 112;
            pseudo[11] = (byte) m.length;
            long sum = InternetChecksum.add(InternetChecksum.add(0, pseudo, 0, 12), m, 0, m.length);
            assertThat(InternetChecksum.finish(sum)).as("v3 checksum over the received source/destination").isZero();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"ipv4-multicast", "ipv4-unicast", "ipv6-multicast"})
    void keepalivedAcceptsOurHigherPriorityAdvertsAndTakesOverWhenTheyStop(String mode) throws Exception {
        boolean v6 = mode.startsWith("ipv6");
        boolean unicast = mode.endsWith("unicast");
        InetAddress vip = InetAddress.getByName(v6 ? segment.ip6(100) : segment.ip4(100));
        InetAddress ours = InetAddress.getByName(b.address());
        InetAddress destination = InetAddress.getByName(unicast ? a.address() : v6 ? "ff02::12" : "224.0.0.18");
        VrrpSocketSpec spec = unicast ? VrrpSocketSpec.unicast("eth0", ours)
                : v6 ? VrrpSocketSpec.multicast("eth0", IpFamily.IPV6)
                : VrrpSocketSpec.multicast("eth0", IpFamily.IPV4).withSource(ours);
        // Priority 200, above keepalived's 100; the IPv6 checksum is the kernel's.
        byte[] advert = VrrpWireIT.v3Advert(ours, destination, 71, 200, vip);
        String extra = unicast ? "unicast_src_ip " + a.address() + "\n  unicast_peer {\n    " + b.address() + "\n  }" : "";
        String vipText = AddressText.of(vip) + (v6 ? "/128" : "/32");

        ScheduledExecutorService sender = Executors.newSingleThreadScheduledExecutor();
        try (VrrpSocket socket = InNamespace.call(b, () -> VrrpSocket.open(spec, p -> { }))) {
            sender.scheduleAtFixedRate(() -> {
                try {
                    socket.send(destination, advert);
                } catch (LinuxCallFailed e) {
                    throw new IllegalStateException(e);
                }
            }, 0, 100, TimeUnit.MILLISECONDS);
            HostProcess keepalived = startKeepalived("BACKUP", 100, extra, vipText);
            keepalived.awaitLog("Entering BACKUP STATE", Duration.ofSeconds(10));
            Thread.sleep(1500); // > 3 advert intervals + skew: keepalived would have taken over had it dropped ours
            assertThat(keepalived.log()).doesNotContain("Entering MASTER STATE");
            assertThat(a.exec("ip", "-o", "addr", "show", "dev", "eth0").orThrow().stdout()).doesNotContain(vipText);

            sender.shutdownNow();
            keepalived.awaitLog("Entering MASTER STATE", Duration.ofSeconds(5));
            await().atMost(Duration.ofSeconds(5)).until(() ->
                    a.exec("ip", "-o", "addr", "show", "dev", "eth0").orThrow().stdout().contains(vipText));
            assertThat(socket.sentCount()).isGreaterThan(10);
        } finally {
            sender.shutdownNow();
        }
    }
}
