package dev.vigil.agent.daemon;

import dev.vigil.lab.Host;
import dev.vigil.lab.HostProcess;
import dev.vigil.lab.NetLab;
import dev.vigil.lab.PgCluster;
import dev.vigil.lab.PgLab;
import dev.vigil.lab.Segment;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static dev.vigil.agent.daemon.AgentLab.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 6's read VIP: on the streaming replica while it keeps up ({@code pg_check { role replica max_lag_bytes }}
 * as a weight-0 tracker), on the primary (lower priority, {@code role any}) while the replica's replay is paused
 * past the byte limit, and back on the replica once it caught up. Real agents and PostgreSQL 15 in NetLab hosts.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ReadVipLeavesALaggingReplicaIT {
    static final int VRID = 82;

    @RegisterExtension
    @Order(1)
    final NetLab lab = NetLab.extension();

    @RegisterExtension
    @Order(2)
    final PgLab pg = PgLab.extension();

    static String conf(PgCluster cluster, String role, int priority, String vip) {
        String script = """
                vrrp_script chk_pg_read {
                  pg_check {
                    role %s
                    host %s
                    port %d
                    max_lag_bytes 64kB
                  }
                  interval 0.2
                  timeout 1
                  rise 2
                  fall 2
                  weight 0
                }
                """.formatted(role, cluster.socketDir(), cluster.port());
        return script + instance(VRID, priority, 3, "0.2", "track_script {\n    chk_pg_read\n  }", vip + "/24");
    }

    @Test
    void theReadVipLeavesAReplicaWhoseReplayIsPausedPastTheLimitAndComesBackWhenItCatchesUp() {
        Segment seg = lab.segment("vrrp");
        Host a = lab.host("a", seg);
        Host b = lab.host("b", seg);
        String readVip = seg.ip4(101);
        PgCluster primary = pg.cluster("primary", a);
        PgCluster replica = pg.standbyOf("replica", primary, b);
        primary.query("create table events(x int)");

        HostProcess agentB = startAgent(lab, b, conf(replica, "replica", 150, readVip));
        agentB.awaitLog("(VI_82) Entering MASTER STATE", Duration.ofSeconds(30));
        HostProcess agentA = startAgent(lab, a, conf(primary, "any", 100, readVip));
        agentA.awaitLog("(VI_82) Entering BACKUP STATE", Duration.ofSeconds(30));
        awaitHolds(b, readVip, true, Duration.ofSeconds(5));

        replica.query("select pg_wal_replay_pause()");
        primary.query("insert into events select generate_series(1, 50000)"); // a few MB of WAL, received not replayed
        agentB.awaitLog("(VI_82) Entering FAULT STATE", Duration.ofSeconds(10));
        assertThat(agentB.log()).containsPattern("check chk_pg_read failed: replay lag [0-9.]+ [kMG]B > 64 kB");
        agentA.awaitLog("(VI_82) Entering MASTER STATE", Duration.ofSeconds(5));
        awaitHolds(a, readVip, true, Duration.ofSeconds(5));
        awaitHolds(b, readVip, false, Duration.ofSeconds(5));

        replica.query("select pg_wal_replay_resume()");
        replica.awaitReplayOf(primary);
        agentB.awaitLog("check chk_pg_read succeeded", Duration.ofSeconds(10));
        awaitHolds(b, readVip, true, Duration.ofSeconds(10)); // BACKUP, then it preempts the primary's agent
        awaitHolds(a, readVip, false, Duration.ofSeconds(5));
        assertThat(agentA.stop(Duration.ofSeconds(5))).isZero();
        assertThat(agentB.stop(Duration.ofSeconds(5))).isZero();
    }
}
