package dev.vigil.coordinator.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

import javax.sql.DataSource;

/** Brings the schema up to date before anything else touches the database; Flyway owns every table. */
public final class StoreMigrations {
    private StoreMigrations() {
    }

    public static MigrateResult migrate(DataSource dataSource, DatabaseVendor vendor) {
        if (vendor == DatabaseVendor.POSTGRESQL && dataSource instanceof HikariDataSource pool) {
            // The pool's 20 s statement and idle-in-transaction limits are for appends: a migration that indexes a
            // large table outlasts them, and Flyway's lock connection idles in a transaction meanwhile. So a
            // migration gets connections of its own, without those limits.
            HikariConfig hc = new HikariConfig();
            hc.setJdbcUrl(pool.getJdbcUrl());
            hc.setUsername(pool.getUsername());
            hc.setPassword(pool.getPassword());
            hc.setMaximumPoolSize(3);
            hc.setPoolName("vigil-migrations");
            hc.setConnectionTimeout(pool.getConnectionTimeout());
            try (HikariDataSource own = new HikariDataSource(hc)) {
                return flyway(own, vendor);
            }
        }
        return flyway(dataSource, vendor);
    }

    private static MigrateResult flyway(DataSource dataSource, DatabaseVendor vendor) {
        return Flyway.configure()
                .dataSource(dataSource)
                .locations("classpath:db/migration/common", "classpath:db/migration/" + vendor.migrationFolder())
                .failOnMissingLocations(true)
                .load()
                .migrate();
    }
}
