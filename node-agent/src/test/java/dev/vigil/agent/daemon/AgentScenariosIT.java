package dev.vigil.agent.daemon;

import dev.vigil.agent.daemon.AgentLab.WireAdvert;
import dev.vigil.lab.Capture;
import dev.vigil.lab.Host;
import dev.vigil.lab.HostProcess;
import dev.vigil.lab.NetLab;
import dev.vigil.lab.Segment;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static dev.vigil.agent.daemon.AgentLab.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Two Vigil agents: an IPv6 VIP, unicast peers, and a partition that heals. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AgentScenariosIT {
    static final double INTERVAL = 0.2;

    @RegisterExtension
    final NetLab lab = NetLab.extension();
    Segment seg;
    Host a, b;

    @BeforeEach
    void hosts() {
        seg = lab.segment("vrrp");
        a = lab.host("a", seg);
        b = lab.host("b", seg);
    }

    @Test
    void anIpv6VipMovesWithUnsolicitedNeighbourAdvertisements() {
        String vip = seg.ip6(100);
        Capture wire = lab.capture(seg);
        HostProcess agentB = startAgent(lab, b, instance(61, 100, 3, "0.2", "", vip + "/64"));
        agentB.awaitLog("Entering BACKUP STATE", Duration.ofSeconds(30));
        startAgent(lab, a, instance(61, 150, 3, "0.2", "", vip + "/64"))
                .awaitLog("(VI_61) Entering MASTER STATE", Duration.ofSeconds(30));
        awaitHolds(a, vip, true, Duration.ofSeconds(5));
        awaitHolds(b, vip, false, Duration.ofSeconds(5));
        lab.kill(a);
        agentB.awaitLog("(VI_61) Entering MASTER STATE", Duration.ofSeconds(10));
        awaitHolds(b, vip, true, Duration.ofSeconds(5));
        wire.stop();

        List<WireAdvert> adverts = adverts(wire, 61);
        double lastOfA = adverts.stream().filter(x -> !x.source().equals(adverts.get(adverts.size() - 1).source()))
                .mapToDouble(WireAdvert::time).max().orElseThrow();
        String bSource = adverts.get(adverts.size() - 1).source();
        assertThat(bSource).startsWith("fe80:"); // RFC 5798 §5.1.2.1: IPv6 adverts come from the link-local address
        double firstOfB = adverts.stream().filter(x -> x.source().equals(bSource) && x.time() > lastOfA)
                .mapToDouble(WireAdvert::time).min().orElseThrow();
        assertThat(firstOfB - lastOfA).isLessThan(masterDownSeconds(INTERVAL, 100) + INTERVAL + SLACK_SECONDS);
        long nas = frameTimes(wire, "icmpv6.type == 136 && icmpv6.nd.na.target_address == " + vip
                + " && eth.src == " + b.mac()).stream().filter(t -> t >= firstOfB).count();
        assertThat(nas).as("unsolicited NAs from b").isGreaterThanOrEqualTo(5);
    }

    @Test
    void unicastPeersElectAndFailOver() {
        String vip = seg.ip4(100);
        String extraA = "unicast_src_ip " + a.address() + "\n  unicast_peer {\n    " + b.address() + "\n  }";
        String extraB = "unicast_src_ip " + b.address() + "\n  unicast_peer {\n    " + a.address() + "\n  }";
        Capture wire = lab.capture(seg);
        HostProcess agentB = startAgent(lab, b, instance(62, 100, 3, "0.2", extraB, vip + "/24"));
        agentB.awaitLog("Entering BACKUP STATE", Duration.ofSeconds(30));
        startAgent(lab, a, instance(62, 150, 3, "0.2", extraA, vip + "/24"))
                .awaitLog("(VI_62) Entering MASTER STATE", Duration.ofSeconds(30));
        awaitHolds(a, vip, true, Duration.ofSeconds(5));
        awaitHolds(b, vip, false, Duration.ofSeconds(5));
        double steadyFrom = nowEpoch() + 0.5;
        sleep(1500);
        double killedAt = nowEpoch();
        lab.kill(a);
        agentB.awaitLog("(VI_62) Entering MASTER STATE", Duration.ofSeconds(10));
        awaitHolds(b, vip, true, Duration.ofSeconds(5));
        wire.stop();

        List<List<String>> rows = wire.rows("vrrp && vrrp.virt_rtr_id == 62", "frame.time_epoch", "ip.src", "ip.dst");
        Set<String> steady = rows.stream().filter(r -> Double.parseDouble(r.get(0)) >= steadyFrom
                && Double.parseDouble(r.get(0)) < killedAt).map(r -> r.get(1) + ">" + r.get(2)).collect(Collectors.toSet());
        assertThat(steady).as("unicast adverts only, from a to b").containsExactly(a.address() + ">" + b.address());
        List<WireAdvert> adverts = adverts(wire, 62);
        double lastOfA = adverts.stream().filter(x -> x.source().equals(a.address())).mapToDouble(WireAdvert::time).max().orElseThrow();
        double firstOfB = adverts.stream().filter(x -> x.source().equals(b.address()) && x.time() > lastOfA)
                .mapToDouble(WireAdvert::time).min().orElseThrow();
        assertThat(firstOfB - lastOfA).isLessThan(masterDownSeconds(INTERVAL, 100) + INTERVAL + SLACK_SECONDS);
    }

    @Test
    void aPartitionMakesTwoMastersAndAfterItHealsTheWinnerReannounces() {
        String vip = seg.ip4(100);
        Capture wire = lab.capture(seg);
        HostProcess agentB = startAgent(lab, b, instance(63, 100, 3, "0.2", "", vip + "/24"));
        agentB.awaitLog("Entering BACKUP STATE", Duration.ofSeconds(30));
        HostProcess agentA = startAgent(lab, a, instance(63, 150, 3, "0.2", "", vip + "/24"));
        agentA.awaitLog("(VI_63) Entering MASTER STATE", Duration.ofSeconds(30));
        awaitHolds(b, vip, false, Duration.ofSeconds(5));

        lab.partition(a, b);
        agentB.awaitLog("(VI_63) Entering MASTER STATE", Duration.ofSeconds(10));
        awaitHolds(b, vip, true, Duration.ofSeconds(5));
        assertThat(holds(a, vip)).as("both masters during the split").isTrue();
        sleep(500);
        double healedAt = nowEpoch();
        lab.heal(a, b);
        awaitHolds(b, vip, false, Duration.ofSeconds(5));
        sleep(1500);
        assertThat(holds(a, vip)).isTrue();
        assertThat(agentA.log()).contains("lower-priority master heard");
        wire.stop();

        Set<String> after = adverts(wire, 63).stream().filter(x -> x.time() > healedAt + 1.0)
                .map(WireAdvert::source).collect(Collectors.toSet());
        assertThat(after).as("one master after the heal").containsExactly(a.address());
        long garps = frameTimes(wire, "arp && arp.src.proto_ipv4 == " + vip + " && eth.src == " + a.mac())
                .stream().filter(t -> t >= healedAt).count();
        assertThat(garps).as("the winner's gratuitous ARPs after the heal (garp_lower_prio_repeat 5)")
                .isGreaterThanOrEqualTo(5);
    }

    static void sleep(long millis) {
        AgentFailoverIT.sleep(millis);
    }
}
