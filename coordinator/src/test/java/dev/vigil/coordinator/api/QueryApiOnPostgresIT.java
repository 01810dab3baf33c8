package dev.vigil.coordinator.api;

import dev.vigil.coordinator.store.StoreSettings;
import dev.vigil.lab.PgCluster;
import dev.vigil.lab.PgLab;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The query API contract on PostgreSQL 15 (a throwaway PgLab cluster). */
@Timeout(300)
class QueryApiOnPostgresIT extends QueryApiContract {
    @RegisterExtension
    static final PgLab PG = PgLab.extension();

    @Override
    protected StoreSettings storeSettings() {
        PgCluster cluster = PG.cluster("query");
        cluster.query("CREATE DATABASE audit_query");
        return new StoreSettings(cluster.jdbcUrl("audit_query"), "postgres", "", 8, 1000);
    }
}
