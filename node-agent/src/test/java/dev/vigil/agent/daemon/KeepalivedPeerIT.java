package dev.vigil.agent.daemon;

import dev.vigil.agent.daemon.AgentLab.WireAdvert;
import dev.vigil.lab.Capture;
import dev.vigil.lab.Host;
import dev.vigil.lab.HostProcess;
import dev.vigil.lab.NetLab;
import dev.vigil.lab.Requirements;
import dev.vigil.lab.Segment;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

import static dev.vigil.agent.daemon.AgentLab.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * keepalived 2.2.7 and a Vigil agent as peers of one virtual router, for VRRPv2 and v3, multicast and unicast, with
 * either one higher: exactly one master (by {@code ip addr} on both hosts, by keepalived's own log and by one advert
 * source on the wire), failover to the lower one on a graceful stop and back by preemption, and tshark finds
 * Vigil's checksums good.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class KeepalivedPeerIT {
    static final int VRID = 71;

    @RegisterExtension
    final NetLab lab = NetLab.extension();
    Segment seg;
    Host v, k;

    @BeforeEach
    void hosts() {
        Requirements.requireCommand("keepalived");
        seg = lab.segment("vrrp");
        v = lab.host("v", seg);
        k = lab.host("k", seg);
    }

    @ParameterizedTest(name = "v{0} {1}, {2} higher")
    @CsvSource({
            "3, multicast, vigil", "3, multicast, keepalived", "3, unicast, vigil", "3, unicast, keepalived",
            "2, multicast, vigil", "2, multicast, keepalived", "2, unicast, vigil", "2, unicast, keepalived"})
    void oneMasterAndFailoverBothWays(int version, String mode, String higher) {
        String vip = seg.ip4(100);
        String interval = version == 2 ? "1" : "0.2";
        boolean vigilHigher = higher.equals("vigil");
        Function<Host, String> conf = self -> {
            Host peer = self == v ? k : v;
            String extra = mode.equals("unicast")
                    ? "unicast_src_ip " + self.address() + "\n  unicast_peer {\n    " + peer.address() + "\n  }" : "";
            int priority = (self == v) == vigilHigher ? 150 : 100;
            return instance(VRID, priority, version, interval, extra, vip + "/24");
        };
        Host hi = vigilHigher ? v : k;
        Host lo = vigilHigher ? k : v;
        Function<Host, HostProcess> start = h -> h == v ? startAgent(lab, v, conf.apply(v))
                : startKeepalived(lab, k, conf.apply(k));
        Duration wait = Duration.ofSeconds(version == 2 ? 20 : 15);

        Capture wire = lab.capture(seg);
        HostProcess low = start.apply(lo);
        low.awaitLog("(VI_71) Entering", wait);
        HostProcess high = start.apply(hi);
        high.awaitLog("(VI_71) Entering MASTER STATE", wait);
        awaitHolds(hi, vip, true, Duration.ofSeconds(5));
        awaitHolds(lo, vip, false, wait);
        double steadyFrom = nowEpoch() + 0.5;
        sleep(version == 2 ? 3000 : 1500);
        double steadyTo = nowEpoch();
        assertThat(holds(hi, vip)).isTrue();
        assertThat(holds(lo, vip)).isFalse();
        HostProcess keepalived = vigilHigher ? low : high;
        assertThat(lastState(keepalived.log())).as("keepalived's own view").isEqualTo(vigilHigher ? "BACKUP" : "MASTER");

        // the higher one stops: the lower takes over; it comes back: it preempts
        int lowLogAt = low.log().length();
        assertThat(high.stop(Duration.ofSeconds(5))).isZero();
        awaitHolds(lo, vip, true, wait);
        assertThat(lastState(low.log().substring(lowLogAt))).isEqualTo("MASTER");
        assertThat(holds(hi, vip)).isFalse();
        HostProcess again = start.apply(hi);
        again.awaitLog("(VI_71) Entering MASTER STATE", wait);
        awaitHolds(hi, vip, true, Duration.ofSeconds(5));
        awaitHolds(lo, vip, false, wait);
        sleep(version == 2 ? 2500 : 800);
        assertThat(lastState(low.log())).isEqualTo("BACKUP");
        wire.stop();

        Set<String> sources = adverts(wire, VRID).stream().filter(x -> x.time() >= steadyFrom && x.time() < steadyTo)
                .map(WireAdvert::source).collect(Collectors.toSet());
        assertThat(sources).as("one advert source while steady").containsExactly(hi.address());
        List<List<String>> vigilAdverts = wire.rows("vrrp && ip.src == " + v.address(), "vrrp.checksum.status");
        assertThat(vigilAdverts).isNotEmpty();
        assertThat(vigilAdverts).as("tshark: Vigil's checksums (1 = Good)").allSatisfy(r -> assertThat(r).containsExactly("1"));
    }

    /** The state of the last "Entering X STATE" line (keepalived's and Vigil's words are the same). */
    static String lastState(String log) {
        int i = log.lastIndexOf("Entering ");
        assertThat(i).as("a state line in:\n" + log).isGreaterThanOrEqualTo(0);
        return log.substring(i + 9).split(" ")[0];
    }

    static void sleep(long millis) {
        AgentFailoverIT.sleep(millis);
    }
}
