package dev.vigil.coordinator.store;

import com.zaxxer.hikari.HikariDataSource;
import dev.vigil.coordinator.domain.IncomingFact;
import dev.vigil.coordinator.domain.IngestOutcome;
import dev.vigil.coordinator.domain.RecordFacts;
import dev.vigil.lab.PgCluster;
import dev.vigil.lab.PgLab;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** PostgreSQL-only measures, and the first-release fixture store on PostgreSQL. */
@Timeout(300)
class PostgresStoreIT {
    @RegisterExtension
    final PgLab pg = PgLab.extension();

    private static StoreSettings settings(PgCluster c, String db) {
        c.query("CREATE DATABASE " + db);
        return new StoreSettings(c.jdbcUrl(db), "postgres", "", 8, 1000);
    }

    /** While another transaction holds the append lock, an append waits; it goes through after commit. */
    @Test
    void appendsAreSerializedByTheAdvisoryLock() throws Exception {
        PgCluster cluster = pg.cluster("store");
        StoreSettings s = settings(cluster, "appendlock");
        try (AuditStore store = AuditStore.open(s, Clock.systemUTC());
             Connection holder = store.dataSource().getConnection()) {
            holder.setAutoCommit(false);
            try (Statement st = holder.createStatement()) {
                st.execute("SELECT pg_advisory_xact_lock(" + SerializedAppends.APPEND_LOCK + ")");
            }
            CompletableFuture<IngestOutcome> append = CompletableFuture.supplyAsync(() -> store.record(new RecordFacts("db1",
                    List.of(new IncomingFact("b", 1, "AgentStopping", Instant.EPOCH, "{}")))));
            assertThatThrownBy(() -> append.get(1500, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
            holder.commit();
            assertThat(append.get(30, TimeUnit.SECONDS).stored()).isEqualTo(1);
        }
    }

    @Test
    void storeConnectionsCarryServerSideTimeoutsBelowTheGapTimeout() throws Exception {
        PgCluster cluster = pg.cluster("store");
        StoreSettings s = settings(cluster, "timeouts");
        try (HikariDataSource ds = AuditStore.pool(s); Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SHOW statement_timeout")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("20s");
            }
            try (ResultSet rs = st.executeQuery("SHOW idle_in_transaction_session_timeout")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("20s");
            }
        }
    }

    @Test
    void payloadColumnsAreByteaNeverOid() throws Exception {
        PgCluster cluster = pg.cluster("store");
        StoreSettings s = settings(cluster, "types");
        try (AuditStore store = AuditStore.open(s, Clock.systemUTC()); Connection c = store.dataSource().getConnection();
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT table_name, column_name, data_type"
                     + " FROM information_schema.columns WHERE column_name IN ('payload', 'meta_data', 'token', 'diagnostics')")) {
            int n = 0;
            while (rs.next()) {
                assertThat(rs.getString(3)).as(rs.getString(1) + "." + rs.getString(2)).isEqualTo("bytea");
                n++;
            }
            assertThat(n).isGreaterThanOrEqualTo(7);
        }
    }

    @Test
    void aStoreFromTheFirstReleaseKeepsWorkingOnPostgres() throws Exception {
        PgCluster cluster = pg.cluster("store");
        FirstReleaseStoreTest.assertFirstReleaseStoreKeepsWorking(settings(cluster, "firstrelease"));
    }

    @Test
    void groupCommitOnPostgres() throws Exception {
        PgCluster cluster = pg.cluster("store");
        GroupCommitContract.oneGroupHoldsSeveralAgentsAndOneAgentTwice(settings(cluster, "group1"));
        GroupCommitContract.aFailingBatchFailsOnlyItself(settings(cluster, "group2"));
        GroupCommitContract.concurrentBatchesOfManyAgents(settings(cluster, "group3"));
    }
}
