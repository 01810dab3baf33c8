package dev.vigil.coordinator.api;

import dev.vigil.coordinator.store.StoreSettings;
import dev.vigil.lab.PgCluster;
import dev.vigil.lab.PgLab;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The node projection's processor on PostgreSQL 15 (PgLab): the late writer bypasses the append lock. */
@Timeout(300)
class NodeProjectionOnPostgresIT extends NodeProjectionContract {
    @RegisterExtension
    static final PgLab PG = PgLab.extension();

    @Override
    protected StoreSettings storeSettings() {
        PgCluster cluster = PG.cluster("nodes");
        cluster.query("CREATE DATABASE nodes");
        return new StoreSettings(cluster.jdbcUrl("nodes"), "postgres", "", 8, 1000);
    }
}
