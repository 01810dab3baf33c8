package dev.vigil.lab;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Timeout(90)
class PgInNetLabIT {

    // NetLab first: JUnit closes in reverse order, so clusters stop before their namespaces go.
    @RegisterExtension
    @Order(1)
    final NetLab net = NetLab.extension();

    @RegisterExtension
    @Order(2)
    final PgLab pg = PgLab.extension();

    @Test
    void clusterInAHostServesAnotherHostOverTheSegmentAndStreamsToAStandbyThere() throws Exception {
        Segment lan = net.segment("vrrp");
        Host a = net.host("a", lan);
        Host b = net.host("b", lan);
        PgCluster primary = pg.cluster("primary", a);
        assertThat(primary.address()).isEqualTo(a.address());

        ExecResult remote = b.exec(Requirements.PG_BIN.resolve("psql").toString(), "-X", "-At", "-h", a.address(),
                "-p", Integer.toString(primary.port()), "-U", "postgres", "-d", "postgres", "-c", "select inet_server_addr()");
        assertThat(remote.orThrow().stdout().strip()).isEqualTo(a.address());

        PgCluster standby = pg.standbyOf("standby", primary, b);
        primary.query("create table facts(x int); insert into facts values (42)");
        standby.awaitReplayOf(primary);
        assertThat(standby.query("select x from facts")).isEqualTo("42");
        assertThat(primary.query("select client_addr from pg_stat_replication")).isEqualTo(b.address());

        // Like real database hosts, each host's first cluster is on 5432, and an address added later (a VIP)
        // is served too: a client following a VIP finds PostgreSQL on the same port wherever the VIP is.
        assertThat(primary.port()).isEqualTo(5432);
        assertThat(standby.port()).isEqualTo(5432);
        String vip = lan.ip4(100);
        b.exec("ip", "addr", "add", vip + "/24", "dev", b.ifname()).orThrow();
        ExecResult viaVip = a.exec(Requirements.PG_BIN.resolve("psql").toString(), "-X", "-At", "-h", vip,
                "-p", "5432", "-U", "postgres", "-d", "postgres", "-c", "select pg_is_in_recovery()");
        assertThat(viaVip.orThrow().stdout().strip()).isEqualTo("t");

        // The test JVM, in the root namespace, still reaches both through their unix sockets.
        try (var connection = standby.connect(); var rs = connection.createStatement().executeQuery("select pg_is_in_recovery()")) {
            rs.next();
            assertThat(rs.getBoolean(1)).isTrue();
        }
        // A host's death takes its cluster with it.
        net.kill(a);
        assertThat(a.pids()).isEmpty();
    }
}
