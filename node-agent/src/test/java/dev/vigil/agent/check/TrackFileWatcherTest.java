package dev.vigil.agent.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.vigil.agent.config.TrackFile;
import dev.vigil.agent.config.TrackedFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TrackFileWatcherTest {

    @TempDir
    Path dir;

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final List<TrackFileWatcher.Change> changes = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    private TrackFileWatcher watch(Path file, OptionalLong init, boolean overwrite) {
        TrackFileWatcher w = new TrackFileWatcher(new TrackFile("tf", file.toString(), 0, false, init, overwrite),
                Duration.ofMillis(50), scheduler, changes::add);
        w.start();
        return w;
    }

    @Test
    void readsTheValueAndReportsEachChange() throws Exception {
        Path file = dir.resolve("prio");
        Files.writeString(file, "10\n");
        try (TrackFileWatcher w = watch(file, OptionalLong.empty(), false)) {
            assertThat(w.value()).isEqualTo(10);
            assertThat(w.effect(new TrackedFile("tf", 5, false))).isEqualTo(new TrackFileValue.Effect(false, 50));
            Files.writeString(file, "-3\n");
            await().atMost(Duration.ofSeconds(5)).until(() -> w.value() == -3);
            assertThat(w.effect(new TrackedFile("tf", 5, false))).isEqualTo(new TrackFileValue.Effect(false, -15));
            assertThat(w.effect(new TrackedFile("tf", 0, false)).fault()).isTrue();
            Files.delete(file);
            await().atMost(Duration.ofSeconds(5)).until(() -> w.value() == 0);
            assertThat(w.effect(new TrackedFile("tf", 0, false)).fault()).isFalse();
            assertThat(changes).containsExactly(new TrackFileWatcher.Change("tf", 10, -3),
                    new TrackFileWatcher.Change("tf", -3, 0));
        }
    }

    @Test
    void aMissingFileReadsZero() {
        try (TrackFileWatcher w = watch(dir.resolve("absent"), OptionalLong.empty(), false)) {
            assertThat(w.value()).isZero();
        }
    }

    @Test
    void initFileCreatesAMissingFileAndOverwriteReplacesAnExistingOne() throws Exception {
        Path created = dir.resolve("created");
        try (TrackFileWatcher w = watch(created, OptionalLong.of(7), false)) {
            assertThat(w.value()).isEqualTo(7);
            assertThat(Files.readString(created)).isEqualTo("7\n");
        }
        Path kept = dir.resolve("kept");
        Files.writeString(kept, "3");
        try (TrackFileWatcher w = watch(kept, OptionalLong.of(7), false)) {
            assertThat(w.value()).isEqualTo(3);
        }
        try (TrackFileWatcher w = watch(kept, OptionalLong.of(9), true)) {
            assertThat(w.value()).isEqualTo(9);
        }
    }
}
