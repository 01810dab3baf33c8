package dev.vigil.coordinator.ingest;

import dev.vigil.coordinator.store.StoreSettings;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** The ingest contract on the embedded H2 file store. */
@Timeout(180)
class IngestOnH2Test extends IngestContract {
    @TempDir
    Path dir;

    @Override
    protected StoreSettings storeSettings() {
        return StoreSettings.embedded(dir);
    }
}
