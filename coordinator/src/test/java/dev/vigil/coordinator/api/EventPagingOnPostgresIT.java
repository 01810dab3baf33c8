package dev.vigil.coordinator.api;

import dev.vigil.coordinator.store.StoreSettings;
import dev.vigil.lab.PgCluster;
import dev.vigil.lab.PgLab;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Late commits and the paging horizon on PostgreSQL 15: the writer that took an index commits last. */
@Timeout(300)
class EventPagingOnPostgresIT extends EventPagingContract {
    @RegisterExtension
    static final PgLab PG = PgLab.extension();

    @Override
    protected StoreSettings storeSettings() {
        PgCluster cluster = PG.cluster("paging");
        cluster.query("CREATE DATABASE paging");
        return new StoreSettings(cluster.jdbcUrl("paging"), "postgres", "", 8, 1000);
    }
}
