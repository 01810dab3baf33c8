package dev.vigil.agent.balance;

import dev.vigil.agent.config.CheckTiming;
import dev.vigil.agent.config.RealServer;
import dev.vigil.agent.config.RealServerCheck;
import dev.vigil.agent.config.Scheduling;
import dev.vigil.agent.config.ServiceAddress;
import dev.vigil.agent.config.SourcePos;
import dev.vigil.agent.config.VirtualServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(10)
class PoolTest {

    static final SourcePos AT = new SourcePos("lb.conf", 1);
    static final long S = 1_000_000_000L;

    static ServiceAddress sa(String ip, int port) {
        try {
            return new ServiceAddress(InetAddress.getByName(ip), port);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static RealServer rs(int n, int weight, boolean inhibit, int rise, int fall) {
        CheckTiming t = new CheckTiming(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1), rise, fall,
                Duration.ZERO);
        return new RealServer(sa("10.0.0." + n, 5432), weight, inhibit,
                List.of(new RealServerCheck.Tcp(sa("10.0.0." + n, 5432), t, AT)), AT);
    }

    static VirtualServer vs(Scheduling s, int quorum, int hysteresis, Optional<ServiceAddress> sorry,
                            Optional<Duration> persistence, boolean alpha, RealServer... reals) {
        return new VirtualServer("192.0.2.100:5432", List.of(sa("192.0.2.100", 5432)), Duration.ofSeconds(1), s,
                persistence, quorum, hysteresis, Optional.empty(), Optional.empty(), sorry, List.of(reals), AT, alpha);
    }

    static final InetAddress CLIENT = sa("192.0.2.50", 1).ip();

    static int pick(Pool p) {
        Choice c = p.choose(CLIENT, 0, Set.of());
        assertThat(c).isInstanceOf(Choice.ToReal.class);
        return ((Choice.ToReal) c).member();
    }

    @Test
    void serversStartUpAndFallAfterFallFailuresAndRiseAfterRisePasses() {
        Pool p = new Pool(vs(Scheduling.RR, 1, 0, Optional.empty(), Optional.empty(), false, rs(1, 1, false, 2, 3),
                rs(2, 1, false, 1, 1)));
        assertThat(p.isUp(0)).isTrue();
        assertThat(p.checkResult(0, 0, true, "connected", Optional.empty())).isEmpty();
        assertThat(p.checkResult(0, 0, false, "refused", Optional.empty())).isEmpty();
        assertThat(p.checkResult(0, 0, false, "refused", Optional.empty())).isEmpty();
        assertThat(p.checkResult(0, 0, false, "refused", Optional.empty())).containsExactly(
                new PoolEvent.ServerDown(0, "10.0.0.1:5432", "TCP_CHECK 10.0.0.1:5432: refused", true));
        assertThat(pick(p)).isEqualTo(1);
        assertThat(pick(p)).isEqualTo(1);
        assertThat(p.checkResult(0, 0, true, "connected", Optional.empty())).isEmpty();
        assertThat(p.checkResult(0, 0, true, "connected", Optional.empty())).containsExactly(
                new PoolEvent.ServerUp(0, "10.0.0.1:5432", "TCP_CHECK 10.0.0.1:5432: connected"));
        assertThat(List.of(pick(p), pick(p))).containsExactlyInAnyOrder(0, 1);
    }

    @Test
    void inhibitOnFailureKeepsConnectionsOpen() {
        Pool p = new Pool(vs(Scheduling.RR, 1, 0, Optional.empty(), Optional.empty(), false, rs(1, 1, true, 1, 1),
                rs(2, 1, false, 1, 1)));
        assertThat(p.checkResult(0, 0, false, "refused", Optional.empty()))
                .containsExactly(new PoolEvent.ServerDown(0, "10.0.0.1:5432", "TCP_CHECK 10.0.0.1:5432: refused", false));
    }

    @Test
    void alphaStartsServersDownUntilTheirChecksRise() {
        Pool p = new Pool(vs(Scheduling.RR, 1, 0, Optional.empty(), Optional.empty(), true, rs(1, 1, false, 2, 1)));
        assertThat(p.isUp(0)).isFalse();
        assertThat(p.hasQuorum()).isFalse();
        assertThat(p.choose(CLIENT, 0, Set.of())).isEqualTo(new Choice.Refuse("quorum lost (healthy weight 0 < 1)"));
        assertThat(p.checkResult(0, 0, true, "ok", Optional.empty())).isEmpty();
        assertThat(p.checkResult(0, 0, true, "ok", Optional.empty())).containsExactly(
                new PoolEvent.ServerUp(0, "10.0.0.1:5432", "TCP_CHECK 10.0.0.1:5432: ok"),
                new PoolEvent.QuorumGained(1, 1));
    }

    @Test
    void quorumWithHysteresisAndSorryServer() {
        ServiceAddress sorry = sa("10.0.0.99", 5432);
        Pool p = new Pool(vs(Scheduling.WLC, 3, 1, Optional.of(sorry), Optional.empty(), false, rs(1, 2, false, 1, 1),
                rs(2, 2, false, 1, 1)));
        assertThat(p.hasQuorum()).isTrue();
        // 2 left: 2 >= 3 - 1 keeps the quorum
        assertThat(p.checkResult(0, 0, false, "x", Optional.empty())).hasSize(1);
        assertThat(p.hasQuorum()).isTrue();
        assertThat(p.checkResult(1, 0, false, "x", Optional.empty())).endsWith(new PoolEvent.QuorumLost(0, 3));
        assertThat(p.choose(CLIENT, 0, Set.of())).isEqualTo(new Choice.ToSorry(sorry, "quorum lost"));
        // 2 back: 2 < 3 + 1, still lost
        assertThat(p.checkResult(0, 0, true, "x", Optional.empty())).hasSize(1);
        assertThat(p.hasQuorum()).isFalse();
        assertThat(p.checkResult(1, 0, true, "x", Optional.empty())).endsWith(new PoolEvent.QuorumGained(4, 3));
    }

    @Test
    void triedServersAreLeftOutThenNothingIsLeft() {
        Pool p = new Pool(vs(Scheduling.RR, 1, 0, Optional.empty(), Optional.empty(), false, rs(1, 1, false, 1, 1),
                rs(2, 1, false, 1, 1)));
        assertThat(p.choose(CLIENT, 0, Set.of(0))).isEqualTo(new Choice.ToReal(1, sa("10.0.0.2", 5432)));
        assertThat(p.choose(CLIENT, 0, Set.of(0, 1))).isEqualTo(new Choice.Refuse("no other real server is up"));
    }

    @Test
    void weightZeroAndDynamicWeight() {
        Pool p = new Pool(vs(Scheduling.WLC, 1, 0, Optional.empty(), Optional.empty(), false, rs(1, 0, false, 1, 1),
                rs(2, 1, false, 1, 1)));
        assertThat(pick(p)).isEqualTo(1);
        p.checkResult(0, 0, true, "exit 12", Optional.of(10));
        assertThat(p.weight(0)).isEqualTo(10);
        assertThat(pick(p)).isEqualTo(0);
    }

    @Test
    void leastConnectionsFollowsOpenAndClosed() {
        Pool p = new Pool(vs(Scheduling.LC, 1, 0, Optional.empty(), Optional.empty(), false, rs(1, 1, false, 1, 1),
                rs(2, 1, false, 1, 1)));
        p.opened(pick(p), CLIENT);
        p.opened(pick(p), CLIENT);
        p.opened(pick(p), CLIENT);
        assertThat(p.active(0) + p.active(1)).isEqualTo(3);
        assertThat(Math.abs(p.active(0) - p.active(1))).isEqualTo(1);
        int busier = p.active(0) > p.active(1) ? 0 : 1;
        p.closed(busier, CLIENT, 0);
        p.closed(busier, CLIENT, 0);
        assertThat(pick(p)).isEqualTo(busier);
    }

    @Test
    void persistenceKeepsAClientOnItsServerUntilTheTimeoutAfterItsLastConnection() {
        Pool p = new Pool(vs(Scheduling.RR, 1, 0, Optional.empty(), Optional.of(Duration.ofSeconds(10)), false,
                rs(1, 1, false, 1, 1), rs(2, 1, false, 1, 1)));
        int first = pick(p);
        p.opened(first, CLIENT);
        assertThat(p.choose(CLIENT, 100 * S, Set.of())).isEqualTo(new Choice.ToReal(first, sa("10.0.0." + (first + 1), 5432)));
        p.closed(first, CLIENT, 100 * S);
        assertThat(((Choice.ToReal) p.choose(CLIENT, 109 * S, Set.of())).member()).isEqualTo(first);
        p.expire(109 * S);
        assertThat(p.stickyClients()).isEqualTo(1);
        p.expire(110 * S);
        assertThat(p.stickyClients()).isZero();
        // the server it stuck to goes down: the client moves
        p.opened(first, CLIENT);
        p.checkResult(first, 0, false, "down", Optional.empty());
        assertThat(((Choice.ToReal) p.choose(CLIENT, 111 * S, Set.of())).member()).isEqualTo(1 - first);
    }
}
