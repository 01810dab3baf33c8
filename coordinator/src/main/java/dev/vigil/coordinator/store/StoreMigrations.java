package dev.vigil.coordinator.store;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

import javax.sql.DataSource;

/** Brings the schema up to date before anything else touches the database; Flyway owns every table. */
public final class StoreMigrations {
    private StoreMigrations() {
    }

    public static MigrateResult migrate(DataSource dataSource, DatabaseVendor vendor) {
        return Flyway.configure()
                .dataSource(dataSource)
                .locations("classpath:db/migration/common", "classpath:db/migration/" + vendor.migrationFolder())
                .failOnMissingLocations(true)
                .load()
                .migrate();
    }
}
