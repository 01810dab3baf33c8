package dev.vigil.coordinator.api;

import dev.vigil.coordinator.store.StoreSettings;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** The node projection's processor on an embedded H2 store. */
@Timeout(120)
class NodeProjectionOnH2Test extends NodeProjectionContract {
    @TempDir
    Path dir;

    @Override
    protected StoreSettings storeSettings() {
        return StoreSettings.embedded(dir);
    }
}
