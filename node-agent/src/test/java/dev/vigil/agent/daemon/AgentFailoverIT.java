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

/**
 * Three Vigil agents (real processes) on one segment with a fourth host watching: election, takeover after the
 * master's host dies, its announcements, preemption on return, graceful stop and crash leftovers. Timings are read
 * from the capture and compared with RFC 5798's bounds.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class AgentFailoverIT {
    static final double INTERVAL = 0.2;
    static final int VRID = 51;

    @RegisterExtension
    final NetLab lab = NetLab.extension();
    Segment seg;
    Host a, b, c, d;
    String vip;

    @BeforeEach
    void hosts() {
        seg = lab.segment("vrrp");
        a = lab.host("a", seg);
        b = lab.host("b", seg);
        c = lab.host("c", seg);
        d = lab.host("d", seg);
        vip = seg.ip4(100);
        d.sysctl("net.ipv4.conf.all.arp_accept", "1");
        d.sysctl("net.ipv4.conf.eth0.arp_accept", "1");
    }

    String conf(int priority) {
        return instance(VRID, priority, 3, "0.2", "", vip + "/24");
    }

    HostProcess startMaster() {
        HostProcess agentA = startAgent(lab, a, conf(150));
        agentA.awaitLog("(VI_51) Entering MASTER STATE", Duration.ofSeconds(30));
        return agentA;
    }

    @Test
    void highestPriorityHoldsTheVipAndTheNextTakesOverWhenItsHostDies() {
        Capture wire = lab.capture(seg);
        HostProcess agentB = startAgent(lab, b, conf(100));
        HostProcess agentC = startAgent(lab, c, conf(50));
        agentB.awaitLog("Entering BACKUP STATE", Duration.ofSeconds(30));
        agentC.awaitLog("Entering BACKUP STATE", Duration.ofSeconds(30));
        startMaster();
        awaitHolds(a, vip, true, Duration.ofSeconds(5));
        awaitHolds(b, vip, false, Duration.ofSeconds(5));
        awaitHolds(c, vip, false, Duration.ofSeconds(5));
        double steadyFrom = nowEpoch() + 0.5;
        // d learns the VIP at a's MAC (ordinary traffic), well before the takeover (ARP locktime is 1 s)
        await().atMost(Duration.ofSeconds(10)).until(() -> d.exec("ping", "-c1", "-W1", vip).ok());
        assertThat(neighbourMac(d, vip)).isEqualTo(a.mac());
        sleep(1500);
        assertThat(holds(a, vip)).isTrue();
        assertThat(holds(b, vip) || holds(c, vip)).as("VIP on a backup").isFalse();

        int cLogAtKill = agentC.log().length();
        double killedAt = nowEpoch();
        lab.kill(a);
        agentB.awaitLog("(VI_51) Entering MASTER STATE", Duration.ofSeconds(10));
        awaitHolds(b, vip, true, Duration.ofSeconds(5));
        // the gratuitous ARPs move d's existing entry before d sends anything to the VIP
        await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(50))
                .until(() -> b.mac().equals(neighbourMac(d, vip)));
        await().atMost(Duration.ofSeconds(10)).until(() -> d.exec("ping", "-c1", "-W1", vip).ok());
        sleep(1000);
        assertThat(holds(c, vip)).isFalse();
        assertThat(agentC.log().substring(cLogAtKill)).as("c after the kill").doesNotContain("Entering MASTER STATE");
        wire.stop();

        List<WireAdvert> adverts = adverts(wire, VRID);
        Set<String> steadySources = adverts.stream().filter(x -> x.time() >= steadyFrom && x.time() < killedAt)
                .map(WireAdvert::source).collect(Collectors.toSet());
        assertThat(steadySources).as("advert sources while a was master").containsExactly(a.address());
        double lastOfA = adverts.stream().filter(x -> x.source().equals(a.address())).mapToDouble(WireAdvert::time).max().orElseThrow();
        double firstOfB = adverts.stream().filter(x -> x.source().equals(b.address()) && x.time() > lastOfA)
                .mapToDouble(WireAdvert::time).min().orElseThrow();
        double bound = masterDownSeconds(INTERVAL, 100);
        assertThat(firstOfB - lastOfA).as("takeover after a's last advert (bound %.3f s + one interval)", bound)
                .isGreaterThan(bound - INTERVAL).isLessThan(bound + INTERVAL + SLACK_SECONDS);
        Set<String> afterSources = adverts.stream().filter(x -> x.time() > firstOfB + 0.5).map(WireAdvert::source)
                .collect(Collectors.toSet());
        assertThat(afterSources).containsExactly(b.address());
        // keepalived's default garp_master_repeat 5: gratuitous ARPs for the VIP from b's MAC right after takeover
        long garps = frameTimes(wire, "arp && arp.src.proto_ipv4 == " + vip + " && arp.dst.proto_ipv4 == " + vip
                + " && eth.src == " + b.mac()).stream().filter(t -> t >= firstOfB && t < firstOfB + 1).count();
        assertThat(garps).isGreaterThanOrEqualTo(5);
    }

    @Test
    void gracefulStopHandsOverWithinSkewTimeAndPreemptionReturnsTheVip() {
        Capture wire = lab.capture(seg);
        HostProcess agentB = startAgent(lab, b, conf(100));
        agentB.awaitLog("Entering BACKUP STATE", Duration.ofSeconds(30));
        HostProcess agentA = startMaster();
        awaitHolds(a, vip, true, Duration.ofSeconds(5));
        sleep(1000);

        long t0 = System.nanoTime();
        int exit = agentA.stop(Duration.ofSeconds(5));
        long stopMillis = (System.nanoTime() - t0) / 1_000_000;
        assertThat(exit).isZero();
        assertThat(stopMillis).as("exit after SIGTERM").isLessThan(1000 + 500); // 1 s, plus a loaded machine's slack
        assertThat(agentA.log()).contains("(VI_51) sent 0 priority").contains("VIP " + vip + "/24 dev eth0 removed");
        assertThat(holds(a, vip)).isFalse();
        agentB.awaitLog("(VI_51) Entering MASTER STATE", Duration.ofSeconds(5));
        awaitHolds(b, vip, true, Duration.ofSeconds(5));

        // a comes back: higher priority preempts b (preempt is keepalived's default)
        startMaster();
        awaitHolds(a, vip, true, Duration.ofSeconds(5));
        awaitHolds(b, vip, false, Duration.ofSeconds(5));
        agentB.awaitLog("(VI_51) Entering BACKUP STATE", Duration.ofSeconds(1));
        wire.stop();

        List<WireAdvert> adverts = adverts(wire, VRID);
        WireAdvert resign = adverts.stream().filter(x -> x.source().equals(a.address()) && x.priority() == 0)
                .findFirst().orElseThrow(() -> new AssertionError("no priority-0 advert from a"));
        double firstOfB = adverts.stream().filter(x -> x.source().equals(b.address()) && x.time() > resign.time())
                .mapToDouble(WireAdvert::time).min().orElseThrow();
        assertThat(firstOfB - resign.time()).as("takeover after the priority-0 advert")
                .isLessThan(skewSeconds(INTERVAL, 100) + INTERVAL + SLACK_SECONDS);
    }

    @Test
    void aCrashedAgentsVipIsRemovedByItsSuccessorBeforeAnythingElse() {
        HostProcess agentB = startAgent(lab, b, conf(100));
        agentB.awaitLog("Entering BACKUP STATE", Duration.ofSeconds(30));
        HostProcess agentA = startMaster();
        awaitHolds(a, vip, true, Duration.ofSeconds(5));
        agentA.kill(); // kill -9: host and link stay up
        agentB.awaitLog("(VI_51) Entering MASTER STATE", Duration.ofSeconds(5));
        assertThat(holds(a, vip)).as("a crash leaves the VIP behind").isTrue();

        HostProcess again = startAgent(lab, a, conf(150));
        again.awaitLog("(VI_51) Entering MASTER STATE", Duration.ofSeconds(30));
        String log = again.log();
        int removed = log.indexOf("removed VIP " + vip);
        assertThat(removed).as("leftover removal logged").isGreaterThanOrEqualTo(0);
        assertThat(removed).isLessThan(log.indexOf("VRRP socket")).isLessThan(log.indexOf("Entering BACKUP STATE"));
        awaitHolds(a, vip, true, Duration.ofSeconds(5));
        awaitHolds(b, vip, false, Duration.ofSeconds(5));
    }

    @Test
    void nopreemptKeepsTheRunningMaster() {
        HostProcess agentB = startAgent(lab, b, conf(100));
        agentB.awaitLog("(VI_51) Entering MASTER STATE", Duration.ofSeconds(30));
        HostProcess agentA = startAgent(lab, a, instance(VRID, 150, 3, "0.2", "nopreempt", vip + "/24"));
        agentA.awaitLog("(VI_51) Entering BACKUP STATE", Duration.ofSeconds(30));
        sleep(2000);
        assertThat(agentA.log()).doesNotContain("Entering MASTER STATE");
        assertThat(holds(b, vip)).isTrue();
        assertThat(holds(a, vip)).isFalse();
    }

    @Test
    void aDownLinkPutsTheMasterInFaultAndItRecovers() {
        HostProcess agentB = startAgent(lab, b, conf(100));
        agentB.awaitLog("Entering BACKUP STATE", Duration.ofSeconds(30));
        HostProcess agentA = startMaster();
        lab.cutLink(a);
        agentA.awaitLog("(VI_51) Entering FAULT STATE", Duration.ofSeconds(5));
        agentB.awaitLog("(VI_51) Entering MASTER STATE", Duration.ofSeconds(5));
        awaitHolds(a, vip, false, Duration.ofSeconds(5));
        lab.restoreLink(a);
        await().atMost(Duration.ofSeconds(10)).until(() -> agentA.log().split("Entering MASTER STATE", -1).length == 3);
        awaitHolds(a, vip, true, Duration.ofSeconds(5));
        awaitHolds(b, vip, false, Duration.ofSeconds(5));
    }

    static String neighbourMac(Host host, String address) {
        String out = host.exec("ip", "neigh", "show", address, "dev", "eth0").stdout();
        int i = out.indexOf("lladdr ");
        return i < 0 ? "" : out.substring(i + 7).split("\\s+")[0];
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
