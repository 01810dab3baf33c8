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
 * Issue 6's "the replica with the least lag is preferred when the configuration asks for it": two healthy streaming
 * replicas behind one read VIP, {@code pg_check { role replica prefer_least_lag 64kB }} (no lag threshold: both stay
 * eligible). The preferred replica (c, higher priority) holds the VIP; its replay is paused while the primary writes,
 * so its priority falls with the lag below the other replica's, which takes the VIP; it catches up and takes it back.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReadVipPrefersTheLeastLaggingReplicaIT {
    static final int VRID = 83;

    @RegisterExtension
    @Order(1)
    final NetLab lab = NetLab.extension();

    @RegisterExtension
    @Order(2)
    final PgLab pg = PgLab.extension();

    static String conf(PgCluster cluster, int priority, String vip) {
        String script = """
                vrrp_script chk_pg_read {
                  pg_check {
                    role replica
                    host %s
                    port %d
                    prefer_least_lag 64kB 50
                  }
                  interval 0.2
                  timeout 1
                  rise 1
                  fall 2
                  weight 0
                }
                """.formatted(cluster.socketDir(), cluster.port());
        return script + instance(VRID, priority, 3, "0.2", "track_script {\n    chk_pg_read\n  }", vip + "/24");
    }

    @Test
    void theReadVipMovesToTheLessLaggingReplicaAndBackWhenThePreferredOneCatchesUp() {
        Segment seg = lab.segment("vrrp");
        Host a = lab.host("a", seg);
        Host b = lab.host("b", seg);
        Host c = lab.host("c", seg);
        String readVip = seg.ip4(101);
        PgCluster primary = pg.cluster("primary", a);
        primary.query("create table events(x int)");
        PgCluster replicaB = pg.standbyOf("replica-b", primary, b);
        PgCluster replicaC = pg.standbyOf("replica-c", primary, c);

        HostProcess agentC = startAgent(lab, c, conf(replicaC, 110, readVip));
        agentC.awaitLog("(VI_83) Entering MASTER STATE", Duration.ofSeconds(30));
        HostProcess agentB = startAgent(lab, b, conf(replicaB, 100, readVip));
        agentB.awaitLog("(VI_83) Entering BACKUP STATE", Duration.ofSeconds(30));
        awaitHolds(c, readVip, true, Duration.ofSeconds(5));

        replicaC.query("select pg_wal_replay_pause()");
        primary.query("insert into events select generate_series(1, 50000)"); // a few MB of WAL, received not replayed
        // c's priority falls by one per 64 kB of lag, at most 50: 110 - 50 < 100, so b preempts it
        agentB.awaitLog("(VI_83) Entering MASTER STATE", Duration.ofSeconds(10));
        awaitHolds(b, readVip, true, Duration.ofSeconds(5));
        awaitHolds(c, readVip, false, Duration.ofSeconds(5));
        assertThat(agentC.log()).containsPattern("check chk_pg_read: replay lag [0-9.]+ [kMG]B, priority penalty 0 -> [1-9][0-9]*");
        assertThat(agentC.log()).as("a lagging replica is still healthy here (no threshold)")
                .doesNotContain("(VI_83) Entering FAULT STATE");

        replicaC.query("select pg_wal_replay_resume()");
        replicaC.awaitReplayOf(primary);
        awaitHolds(c, readVip, true, Duration.ofSeconds(10)); // penalty back to 0: 110 > 100, c preempts
        awaitHolds(b, readVip, false, Duration.ofSeconds(5));
        assertThat(agentC.log()).containsPattern("priority penalty [1-9][0-9]* -> 0");
        assertThat(agentB.stop(Duration.ofSeconds(5))).isZero();
        assertThat(agentC.stop(Duration.ofSeconds(5))).isZero();
    }
}
