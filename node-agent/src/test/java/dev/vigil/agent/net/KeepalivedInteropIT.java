package dev.vigil.agent.net;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
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
 * keepalived 2.2.7 in namespace a, Vigil's sockets in b: keepalived's adverts reach us intact, and ours (IPv4
 * multicast with our own header, IPv4 unicast, IPv6 with the kernel's checksum) are accepted by keepalived, which
 * stays BACKUP while we advertise a higher priority and takes over when we stop.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KeepalivedInteropIT {
    private NetnsLab lab;
    private String a, b;
    @TempDir
    Path dir;

    @BeforeEach
    void buildLab() {
        NetnsLab.requireTool("/usr/sbin/keepalived");
        lab = NetnsLab.create();
        try {
            a = lab.namespace("a");
            b = lab.namespace("b");
            lab.veth(a, "va", b, "vb");
            lab.in(a, "ip", "addr", "add", "192.0.2.1/24", "dev", "va");
            lab.in(b, "ip", "addr", "add", "192.0.2.2/24", "dev", "vb");
        } catch (RuntimeException e) {
            lab.close();
            throw e;
        }
    }

    @AfterEach
    void removeLab() {
        if (lab != null) {
            lab.close(); // stops keepalived (SIGTERM, then whatever is left in the namespace)
        }
    }

    private Path startKeepalived(String state, int priority, String extra, String vip) throws Exception {
        Path conf = dir.resolve("keepalived.conf");
        Files.writeString(conf, """
                global_defs {
                  router_id vigil_interop
                  vrrp_version 3
                  script_user root
                }
                vrrp_instance VI_1 {
                  state %s
                  interface va
                  virtual_router_id 71
                  priority %d
                  advert_int 0.1
                  %s
                  virtual_ipaddress {
                    %s
                  }
                }
                """.formatted(state, priority, extra, vip));
        Path log = dir.resolve("keepalived.log");
        lab.start(a, log, "/usr/sbin/keepalived", "-n", "-l", "-D", "-P", "-f", conf.toString(),
                "-p", dir.resolve("k.pid").toString(), "-r", dir.resolve("v.pid").toString());
        return log;
    }

    @Test
    void keepalivedsAdvertsArriveWithTtl255AndAChecksumOverTheRealAddresses() throws Exception {
        BlockingQueue<ReceivedPacket> atB = new LinkedBlockingQueue<>();
        try (VrrpSocket rx = lab.inside(b, () -> VrrpSocket.open(VrrpSocketSpec.multicast("vb", IpFamily.IPV4), atB::add))) {
            startKeepalived("MASTER", 150, "", "192.0.2.100/32");
            ReceivedPacket p = atB.poll(10, TimeUnit.SECONDS);
            assertThat(p).as("an advert from keepalived").isNotNull();
            assertThat(p.source()).isEqualTo(InetAddress.getByName("192.0.2.1"));
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
        InetAddress vip = InetAddress.getByName(v6 ? "2001:db8::100" : "192.0.2.100");
        InetAddress ours = InetAddress.getByName("192.0.2.2");
        InetAddress destination = InetAddress.getByName(unicast ? "192.0.2.1" : v6 ? "ff02::12" : "224.0.0.18");
        VrrpSocketSpec spec = unicast ? VrrpSocketSpec.unicast("vb", ours)
                : v6 ? VrrpSocketSpec.multicast("vb", IpFamily.IPV6)
                : VrrpSocketSpec.multicast("vb", IpFamily.IPV4).withSource(ours);
        byte[] advert = VrrpWireIT.v3Advert(ours, destination, 71, vip);
        advert[2] = (byte) 200; // priority above keepalived's 100
        advert[5] = 10; // 0.1 s, as keepalived's advert_int
        if (!v6) { // the priority and interval changed: checksum again (IPv6: the kernel does it)
            advert[6] = 0;
            advert[7] = 0;
            advert = withChecksum(advert, ours, destination);
        }
        String extra = unicast ? "unicast_src_ip 192.0.2.1\n  unicast_peer {\n    192.0.2.2\n  }" : "";
        String vipLine = v6 ? "2001:db8::100/128" : "192.0.2.100/32";

        ScheduledExecutorService sender = Executors.newSingleThreadScheduledExecutor();
        try (VrrpSocket socket = lab.inside(b, () -> VrrpSocket.open(spec, p -> { }))) {
            byte[] message = advert;
            sender.scheduleAtFixedRate(() -> {
                try {
                    socket.send(destination, message);
                } catch (LinuxCallFailed e) {
                    throw new IllegalStateException(e);
                }
            }, 0, 100, TimeUnit.MILLISECONDS);
            Path log = startKeepalived("BACKUP", 100, extra, vipLine);
            await().atMost(Duration.ofSeconds(10)).until(() -> logText(log).contains("Entering BACKUP STATE"));
            Thread.sleep(1500); // > 3 advert intervals + skew: keepalived would have taken over had it dropped ours
            assertThat(logText(log)).doesNotContain("Entering MASTER STATE");
            assertThat(lab.in(a, "ip", "-o", "addr", "show", "dev", "va")).doesNotContain(vipLine);

            sender.shutdownNow();
            await().atMost(Duration.ofSeconds(5)).until(() -> logText(log).contains("Entering MASTER STATE"));
            await().atMost(Duration.ofSeconds(5)).until(() ->
                    lab.in(a, "ip", "-o", "addr", "show", "dev", "va").contains(vipLine));
            assertThat(socket.sentCount()).isGreaterThan(10);
        } finally {
            sender.shutdownNow();
        }
    }

    /** keepalived -l logs to the console: stdout and stderr, which the lab keeps in two files. */
    private static String logText(Path log) throws Exception {
        Path err = log.resolveSibling(log.getFileName() + ".err");
        return Files.readString(log) + (Files.exists(err) ? Files.readString(err) : "");
    }

    private static byte[] withChecksum(byte[] m, InetAddress source, InetAddress destination) {
        byte[] pseudo = new byte[12];
        System.arraycopy(source.getAddress(), 0, pseudo, 0, 4);
        System.arraycopy(destination.getAddress(), 0, pseudo, 4, 4);
        pseudo[9] = 112;
        pseudo[11] = (byte) m.length;
        int sum = InternetChecksum.finish(InternetChecksum.add(InternetChecksum.add(0, pseudo, 0, 12), m, 0, m.length));
        m[6] = (byte) (sum >>> 8);
        m[7] = (byte) sum;
        return m;
    }
}
