package dev.vigil.coordinator.store;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the store lives. {@code snapshotEvery}: an agent's stream is snapshotted after this many
 * new events, so a stream that lives for years still loads in bounded time.
 */
public record StoreSettings(String jdbcUrl, String user, String password, int maxPoolSize, int snapshotEvery) {
    public StoreSettings {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        DatabaseVendor.ofJdbcUrl(jdbcUrl);
        if (maxPoolSize < 1 || snapshotEvery < 1) {
            throw new IllegalArgumentException("maxPoolSize and snapshotEvery must be >= 1");
        }
    }

    /** The embedded default: an H2 file database in {@code dataDir}. */
    public static StoreSettings embedded(Path dataDir) {
        String file = dataDir.toAbsolutePath().resolve("vigil-coordinator").toString();
        // WRITE_DELAY=0: H2 otherwise acknowledges a commit up to 0.5 s before it reaches the file, and the
        // agent trims what the reply acknowledged, so a coordinator killed in that window would lose facts.
        return new StoreSettings("jdbc:h2:file:" + file + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0", "sa", "", 8, 1000);
    }

    public DatabaseVendor vendor() {
        return DatabaseVendor.ofJdbcUrl(jdbcUrl);
    }

    public StoreSettings withSnapshotEvery(int n) {
        return new StoreSettings(jdbcUrl, user, password, maxPoolSize, n);
    }
}
