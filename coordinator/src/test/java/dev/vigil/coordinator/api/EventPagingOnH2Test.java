package dev.vigil.coordinator.api;

import dev.vigil.coordinator.store.StoreSettings;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** Late commits and the paging horizon on an embedded H2 store. */
@Timeout(60)
class EventPagingOnH2Test extends EventPagingContract {
    @TempDir
    Path dir;

    @Override
    protected StoreSettings storeSettings() {
        return StoreSettings.embedded(dir);
    }
}
