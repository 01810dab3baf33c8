package dev.vigil.coordinator.ingest;

import dev.vigil.coordinator.store.StoreSettings;
import dev.vigil.lab.PgCluster;
import dev.vigil.lab.PgLab;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.concurrent.atomic.AtomicInteger;

/** The ingest contract on PostgreSQL 15 (a throwaway PgLab cluster; one database per test). */
@Timeout(300)
class IngestOnPostgresIT extends IngestContract {
    @RegisterExtension
    static final PgLab PG = PgLab.extension();
    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static PgCluster cluster;

    private String database;

    @BeforeEach
    void freshDatabase() {
        synchronized (IngestOnPostgresIT.class) {
            if (cluster == null || !cluster.isRunning()) {
                cluster = PG.cluster("store");
            }
        }
        database = "ingest_" + DATABASES.incrementAndGet();
        cluster.query("CREATE DATABASE " + database);
    }

    @Override
    protected StoreSettings storeSettings() {
        return new StoreSettings(cluster.jdbcUrl(database), "postgres", "", 8, 1000);
    }
}
