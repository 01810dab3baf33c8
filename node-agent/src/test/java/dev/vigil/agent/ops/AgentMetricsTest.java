package dev.vigil.agent.ops;

import dev.vigil.agent.daemon.RouterFigures;
import dev.vigil.agent.vrrp.DropReason;
import dev.vigil.agent.vrrp.RouterCounters;
import dev.vigil.agent.vrrp.RouterState;
import dev.vigil.model.AddressFamily;
import dev.vigil.model.AgentFact;
import dev.vigil.model.RouterRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AgentMetricsTest {
    static final RouterFigures MASTER = new RouterFigures("VI_PG", "eth0", 51, "IPV4", RouterState.MASTER, 150, 140,
            List.of(new RouterFigures.Vip("192.0.2.100", "eth0"), new RouterFigures.Vip("192.0.2.101", "eth1")),
            Duration.ofSeconds(5),
            new RouterCounters(3, 42, 1, 0, 0, 0, Map.of(DropReason.AUTH_FAILURE, 2L, DropReason.OWN_ADVERT, 7L)));

    @Test
    void theProxysFiguresAppearPerRealServer() {
        AgentMetrics m = new AgentMetrics("db1");
        assertThat(m.scrape()).doesNotContain("vigil_lb_");
        var primary = new dev.vigil.agent.balance.ServerStats("192.0.2.100:5432", "192.0.2.11:5432", true, 1, 12, 3,
                4096, 65536, 1, 0);
        m.readBalancerFrom(() -> java.util.Optional.of(CompletableFuture.completedFuture(
                new dev.vigil.agent.balance.BalancerFigures(List.of(primary), 262144, 262144, 2))));
        String text = m.scrape();
        assertThat(text)
                .contains("vigil_lb_connections_total{real_server=\"192.0.2.11:5432\",virtual_server=\"192.0.2.100:5432\"} 12.0")
                .contains("vigil_lb_open_connections{real_server=\"192.0.2.11:5432\",virtual_server=\"192.0.2.100:5432\"} 3.0")
                .contains("vigil_lb_bytes_total{direction=\"to_client\",real_server=\"192.0.2.11:5432\",virtual_server=\"192.0.2.100:5432\"} 65536.0")
                .contains("vigil_lb_errors_total{real_server=\"192.0.2.11:5432\",virtual_server=\"192.0.2.100:5432\"} 1.0")
                .contains("vigil_lb_real_server_up{real_server=\"192.0.2.11:5432\",virtual_server=\"192.0.2.100:5432\"} 1.0")
                .contains("vigil_lb_buffered_bytes 262144.0")
                .contains("vigil_lb_refused_total 2.0");
        m.readBalancerFrom(() -> java.util.Optional.of(new CompletableFuture<>())); // a proxy loop that never answers
        assertThat(m.scrape()).contains("keepalived_up").doesNotContain("vigil_lb_connections");
        m.close();
    }

    @Test
    void theCoordinatorLinksLagIsHowLongFactsWaitedUnacknowledged() {
        AgentMetrics m = new AgentMetrics("db1");
        assertThat(m.reporting(List.of()).unacknowledgedSeconds()).isZero();
        m.observe(new AgentFact.AgentStopping("test"));
        m.observe(new AgentFact.AgentStopping("test"));
        assertThat(m.unacknowledgedSeconds(System.currentTimeMillis() + 5_000)).isBetween(4.9, 6.0);
        m.acknowledged(1); // one still waits: counted from this acknowledgement
        assertThat(m.unacknowledgedSeconds(System.currentTimeMillis() + 2_000)).isBetween(1.9, 2.5);
        m.acknowledged(1);
        var r = m.reporting(List.of("http://c:1"));
        assertThat(r.pending()).isZero();
        assertThat(r.unacknowledgedSeconds()).isZero();
        assertThat(r.lastAcknowledgedAt()).isNotEqualTo("never");
        assertThat(m.scrape()).contains("vigil_outbox_unacknowledged_seconds 0.0");
    }

    @Test
    void routersUseKeepalivedExporterNamesAndLabels() {
        AgentMetrics m = new AgentMetrics("db1");
        m.readRoutersFrom(() -> CompletableFuture.completedFuture(List.of(MASTER)));
        String text = m.scrape();
        assertThat(text).contains("keepalived_up 1")
                .contains("keepalived_vrrp_state{iname=\"VI_PG\",intf=\"eth0\",ip_address=\"192.0.2.100\",vrid=\"51\"} 2.0")
                .contains("keepalived_vrrp_state{iname=\"VI_PG\",intf=\"eth1\",ip_address=\"192.0.2.101\",vrid=\"51\"} 2.0")
                .contains("keepalived_advertisements_sent_total{iname=\"VI_PG\",intf=\"eth0\",state=\"MASTER\",vrid=\"51\"} 42.0")
                .contains("keepalived_advertisements_received_total{iname=\"VI_PG\",intf=\"eth0\",state=\"MASTER\",vrid=\"51\"} 3.0")
                .contains("keepalived_authentication_failure_total{iname=\"VI_PG\",intf=\"eth0\",state=\"MASTER\",vrid=\"51\"} 2.0")
                .contains("keepalived_gratuitous_arp_delay_total{iname=\"VI_PG\",intf=\"eth0\",state=\"MASTER\",vrid=\"51\"} 5.0")
                .contains("vigil_vrrp_adverts_dropped_total{family=\"IPV4\",iname=\"VI_PG\",reason=\"own_advert\",vrid=\"51\"} 7.0")
                .contains("vigil_vrrp_priority{family=\"IPV4\",iname=\"VI_PG\",kind=\"effective\",vrid=\"51\"} 140.0");
        for (String name : RouterMetrics.names()) {
            assertThat(text).as(name).containsPattern("(?m)^" + name + "(_total)?[{ ]");
        }
    }

    @Test
    void aLoopThatDoesNotAnswerIsKeepalivedDown() {
        AgentMetrics m = new AgentMetrics("db1");
        m.readRoutersFrom(CompletableFuture::new); // never completes
        long start = System.nanoTime();
        String text = m.scrape();
        assertThat(text).contains("keepalived_up 0").doesNotContain("keepalived_vrrp_state{");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(AgentMetrics.LOOP_ANSWER.plusSeconds(5));
    }

    @Test
    void factsBecomeTransitionsTrackersAndOutboxFigures() {
        AgentMetrics m = new AgentMetrics("db1");
        RouterRef ref = new RouterRef("VI_PG", 51, AddressFamily.IPV4);
        m.observe(new AgentFact.RouterStateChanged(ref, dev.vigil.model.RouterState.BACKUP, dev.vigil.model.RouterState.MASTER,
                "master-down timer expired", 150, 150, java.util.Optional.empty()));
        m.observe(new AgentFact.TrackerResultChanged("chk_pg", "script", false, "exit 1", 3_000_000));
        m.observe(new AgentFact.TrackerResultChanged("chk_pg", "script", true, "exit 0", 2_000_000));
        m.acknowledged(1);
        String text = m.scrape();
        assertThat(text).contains("vigil_vrrp_transitions_total{from=\"BACKUP\",iname=\"VI_PG\",to=\"MASTER\",vrid=\"51\"} 1.0")
                .contains("keepalived_script_status{name=\"chk_pg\"} 1.0")
                .contains("vigil_tracker_healthy{kind=\"script\",tracker=\"chk_pg\"} 1.0")
                .contains("vigil_tracker_check_duration_seconds_count{kind=\"script\",tracker=\"chk_pg\"} 2")
                .contains("vigil_outbox_recorded 3")
                .contains("vigil_outbox_pending 2");
    }
}
