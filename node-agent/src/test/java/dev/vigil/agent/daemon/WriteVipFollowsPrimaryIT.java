package dev.vigil.agent.daemon;

import dev.vigil.lab.ExecResult;
import dev.vigil.lab.Host;
import dev.vigil.lab.HostProcess;
import dev.vigil.lab.NetLab;
import dev.vigil.lab.PgCluster;
import dev.vigil.lab.PgLab;
import dev.vigil.lab.Requirements;
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
 * Issue 6's core: a write VIP guarded by {@code pg_check { role primary }} as a weight-0 tracker follows the
 * PostgreSQL primary. Real agents and real PostgreSQL 15 clusters in NetLab hosts; a client in a third host writes
 * through the VIP. The old primary restarted as a primary does not get the VIP back (peers in pg_check).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class WriteVipFollowsPrimaryIT {
    static final int VRID = 81;
    static final double INTERVAL = 0.2;
    static final double CHECK_INTERVAL = 0.2;
    static final int RISE = 2;

    // NetLab first: JUnit closes in reverse order, so clusters stop before their namespaces go.
    @RegisterExtension
    @Order(1)
    final NetLab lab = NetLab.extension();

    @RegisterExtension
    @Order(2)
    final PgLab pg = PgLab.extension();

    static String conf(PgCluster cluster, String peer, int priority, String vip) {
        String script = """
                vrrp_script chk_pg_primary {
                  pg_check {
                    role primary
                    host %s
                    port %d
                    peers %s
                  }
                  interval %s
                  timeout 1
                  rise %d
                  fall 2
                  weight 0
                }
                """.formatted(cluster.socketDir(), cluster.port(), peer, CHECK_INTERVAL, RISE);
        return script + instance(VRID, priority, 3, Double.toString(INTERVAL),
                "track_script {\n    chk_pg_primary\n  }", vip + "/24");
    }

    static ExecResult write(Host client, String vip, int value) {
        return client.exec(Duration.ofSeconds(10), Requirements.PG_BIN.resolve("psql").toString(), "-X", "-q", "-At",
                "host=" + vip + " port=5432 user=postgres dbname=postgres connect_timeout=2", "-v", "ON_ERROR_STOP=1",
                "-c", "insert into orders values (" + value + ") returning inet_server_addr()");
    }

    @Test
    void theWriteVipIsOnThePrimaryLeavesItWhenItCrashesAndFollowsThePromotedStandby() {
        Segment seg = lab.segment("vrrp");
        Host a = lab.host("a", seg);
        Host b = lab.host("b", seg);
        Host c = lab.host("c", seg);
        String vip = seg.ip4(100);
        PgCluster primary = pg.cluster("primary", a);
        PgCluster standby = pg.standbyOf("standby", primary, b);
        primary.query("create table orders(x int)");

        HostProcess agentA = startAgent(lab, a, conf(primary, b.address(), 150, vip));
        HostProcess agentB = startAgent(lab, b, conf(standby, a.address(), 100, vip));
        agentA.awaitLog("(VI_81) Entering MASTER STATE", Duration.ofSeconds(30));
        agentB.awaitLog("(VI_81) Entering FAULT STATE", Duration.ofSeconds(30));
        // the first check may time out on a loaded machine; the next ones must name the reason
        agentB.awaitLog("chk_pg_primary", Duration.ofSeconds(1)); // (already there: FAULT came from it)
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(agentB.log()).containsPattern("check chk_pg_primary (failed|still failing): in recovery"));
        assertThat(agentB.log()).as("held in INIT until the check's first verdict, never MASTER")
                .contains("(VI_81) stays in INIT until the first result of [chk_pg_primary]")
                .doesNotContain("(VI_81) Entering MASTER STATE");
        awaitHolds(a, vip, true, Duration.ofSeconds(5));
        ExecResult first = write(c, vip, 1);
        assertThat(first.ok()).as("write through the VIP: %s", first).isTrue();
        assertThat(first.stdout().strip()).isEqualTo(vip);
        standby.awaitReplayOf(primary);
        assertThat(standby.query("select count(*) from orders")).isEqualTo("1");

        primary.crash();
        agentA.awaitLog("(VI_81) Entering FAULT STATE", Duration.ofSeconds(5));
        awaitHolds(a, vip, false, Duration.ofSeconds(5));
        // well past b's Master_Down_Interval: the standby's agent stays in FAULT and nobody holds the VIP
        sleep(Math.round(2 * 1000 * masterDownSeconds(INTERVAL, 100)) + 500);
        assertThat(holds(b, vip)).as("VIP on the standby").isFalse();
        assertThat(holds(a, vip)).as("VIP on the crashed primary").isFalse();
        assertThat(agentB.log()).doesNotContain("(VI_81) Entering MASTER STATE");
        assertThat(write(c, vip, 2).ok()).as("a write with no primary").isFalse();

        long promotedAt = System.nanoTime();
        standby.promote();
        double bound = RISE * CHECK_INTERVAL + masterDownSeconds(INTERVAL, 100);
        Duration margin = Duration.ofSeconds(3); // scheduling on the shared, loaded machine, and psql's own start
        awaitHolds(b, vip, true, Duration.ofMillis(Math.round(bound * 1000)).plus(margin));
        double took = (System.nanoTime() - promotedAt) / 1e9;
        System.out.printf("write VIP on the promoted standby %.2f s after promote() (bound %.2f s + margin)%n",
                took, bound);
        agentB.awaitLog("(VI_81) Entering MASTER STATE", Duration.ofSeconds(2));
        ExecResult again = write(c, vip, 3);
        assertThat(again.ok()).as("write through the VIP after promotion: %s", again).isTrue();
        assertThat(standby.query("select string_agg(x::text, ',' order by x) from orders")).isEqualTo("1,3");
        assertThat(holds(a, vip)).isFalse();

        // The old primary comes back as a primary (not rewound): its peer is primary on a higher timeline, so its
        // check fails and it must not take the write VIP back, although its priority is higher.
        int aLogAtRestart = agentA.log().length();
        primary.start();
        assertThat(primary.isInRecovery()).isFalse();
        sleep(Math.round(2 * 1000 * (RISE * CHECK_INTERVAL + masterDownSeconds(INTERVAL, 150))) + 1000);
        assertThat(holds(a, vip)).as("VIP back on the old primary").isFalse();
        assertThat(holds(b, vip)).isTrue();
        String since = agentA.log().substring(aLogAtRestart);
        assertThat(since).doesNotContain("(VI_81) Entering MASTER STATE").doesNotContain("(VI_81) Entering BACKUP STATE");
        assertThat(agentA.log()).contains("peer " + b.address() + " is primary on timeline 2 > ours 1");
        ExecResult third = write(c, vip, 4);
        assertThat(third.ok()).as("write through the VIP: %s", third).isTrue();
        assertThat(standby.query("select count(*) from orders")).isEqualTo("3");

        assertThat(agentA.stop(Duration.ofSeconds(5))).isZero();
        assertThat(agentB.stop(Duration.ofSeconds(5))).isZero();
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
