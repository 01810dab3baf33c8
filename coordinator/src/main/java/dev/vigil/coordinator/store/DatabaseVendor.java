package dev.vigil.coordinator.store;

/** The databases the store runs on; each has its own Flyway folder for what standard SQL cannot say. */
public enum DatabaseVendor {
    POSTGRESQL("postgresql"), H2("h2");

    private final String migrationFolder;

    DatabaseVendor(String migrationFolder) {
        this.migrationFolder = migrationFolder;
    }

    public String migrationFolder() {
        return migrationFolder;
    }

    public static DatabaseVendor ofJdbcUrl(String url) {
        if (url.startsWith("jdbc:postgresql:")) {
            return POSTGRESQL;
        }
        if (url.startsWith("jdbc:h2:")) {
            return H2;
        }
        throw new IllegalArgumentException("unsupported database URL '" + url
                + "': expected jdbc:postgresql:... or jdbc:h2:...");
    }
}
