package dev.vigil.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Timeout(90)
class PgLabIT {

    @RegisterExtension
    final PgLab pg = PgLab.extension();

    @Test
    void standbyReadsWhatThePrimaryWroteRefusesWritesAndTakesThemAfterPromotion() {
        PgCluster primary = pg.cluster("primary");
        PgCluster standby = pg.standbyOf("standby", primary);
        primary.query("create table facts(id int primary key, what text)");
        primary.query("insert into facts values (1, 'written on the primary')");

        standby.awaitReplayOf(primary);
        assertThat(standby.query("select what from facts where id = 1")).isEqualTo("written on the primary");
        assertThat(standby.isInRecovery()).isTrue();
        assertThat(primary.query("select count(*) from pg_stat_replication where state = 'streaming'")).isEqualTo("1");

        ExecResult refused = standby.psql("insert into facts values (2, 'on the standby')");
        assertThat(refused.ok()).isFalse();
        assertThat(refused.stderr()).contains("read-only transaction");

        primary.stop();
        standby.promote();
        assertThat(standby.isInRecovery()).isFalse();
        standby.query("insert into facts values (2, 'after promotion')");
        assertThat(standby.query("select count(*) from facts")).isEqualTo("2");
    }

    @Test
    void crashAndRestartKeepCommittedDataAndLoseUncommitted() throws Exception {
        PgCluster db = pg.cluster("db");
        db.query("create table facts(id int primary key)");
        db.query("insert into facts values (1)");
        Connection open = db.connect();
        open.setAutoCommit(false);
        try (Statement st = open.createStatement()) {
            st.executeUpdate("insert into facts values (2)");
        }
        long postmaster = db.postmasterPid().orElseThrow();
        db.crash();
        assertThat(db.isRunning()).isFalse();
        assertThat(ProcessHandle.of(postmaster).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        try {
            open.close();
        } catch (java.sql.SQLException serverIsGone) {
            // expected: the server died under the open transaction
        }
        db.restart();
        assertThat(db.query("select string_agg(id::text, ',' order by id) from facts")).isEqualTo("1");
    }

    @Test
    void jdbcReachesTheClusterOverTcpAndTheUnixSocket() throws Exception {
        PgCluster db = pg.cluster("db");
        assertThat(db.jdbcUrl()).startsWith("jdbc:postgresql://127.0.0.1:" + db.port() + "/postgres");
        try (Connection tcp = DriverManager.getConnection(db.jdbcUrl());
             ResultSet rs = tcp.createStatement().executeQuery("select inet_server_addr()::text")) {
            rs.next();
            assertThat(rs.getString(1)).startsWith("127.0.0.1");
        }
        try (Connection unix = db.connect();
             ResultSet rs = unix.createStatement().executeQuery("select inet_server_addr() is null")) {
            rs.next();
            assertThat(rs.getBoolean(1)).isTrue();
        }
        db.stop();
        assertThat(db.isRunning()).isFalse();
        db.start();
        assertThat(db.query("select 1")).isEqualTo("1");
    }

    @Test
    void closeStopsEveryClusterAndDeletesItsFiles() {
        PgLab lab = PgLab.create();
        PgCluster primary = lab.cluster("primary");
        lab.standbyOf("standby", primary);
        Path workDir = LabLock.WORK_ROOT.resolve(lab.name());
        List<Long> postmasters = lab.clusters().stream().map(c -> c.postmasterPid().orElseThrow()).toList();

        lab.close();
        lab.close();

        assertThat(workDir).doesNotExist();
        assertThat(postmasters).allSatisfy(pid -> assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse());
    }

    @Test
    void openingALabRemovesDirectoriesOfKilledRuns() throws Exception {
        Path dead = LabLock.WORK_ROOT.resolve("vpzz" + (char) ('a' + (int) (System.nanoTime() % 26)) + "0");
        Files.createDirectories(dead.resolve("db/data"));
        Files.writeString(dead.resolve("db/data/postmaster.pid"), "999999\n");
        try (PgLab fresh = PgLab.create()) {
            assertThat(dead).doesNotExist();
            assertThat(fresh.name()).startsWith("vp");
        }
    }
}
