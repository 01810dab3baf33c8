package dev.vigil.agent.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class MagnitudesTest {

    @Test
    void parsesSizesAsPostgresqlConfDoes() {
        assertThat(Magnitudes.parseBytes("16MB")).contains(16L * 1024 * 1024);
        assertThat(Magnitudes.parseBytes("512kB")).contains(512L * 1024);
        assertThat(Magnitudes.parseBytes("1048576")).contains(1048576L);
        assertThat(Magnitudes.parseBytes("1.5GB")).contains(1610612736L);
        assertThat(Magnitudes.parseBytes("16 MB")).contains(16L * 1024 * 1024);
        assertThat(Magnitudes.parseBytes("sixteen")).isEmpty();
        assertThat(Magnitudes.parseBytes("-1MB")).isEmpty();
        assertThat(Magnitudes.parseBytes("16PB")).isEmpty();
    }

    @Test
    void parsesDurationsWithKeepalivedSecondsAsDefault() {
        assertThat(Magnitudes.parseDuration("5s")).contains(Duration.ofSeconds(5));
        assertThat(Magnitudes.parseDuration("500ms")).contains(Duration.ofMillis(500));
        assertThat(Magnitudes.parseDuration("0.2")).contains(Duration.ofMillis(200));
        assertThat(Magnitudes.parseDuration("2min")).contains(Duration.ofMinutes(2));
        assertThat(Magnitudes.parseDuration("5 hours")).isEmpty();
    }

    @Test
    void formatsWithAtMostOneDecimal() {
        assertThat(Magnitudes.bytes(0)).isEqualTo("0 B");
        assertThat(Magnitudes.bytes(1023)).isEqualTo("1023 B");
        assertThat(Magnitudes.bytes(1536)).isEqualTo("1.5 kB");
        assertThat(Magnitudes.bytes(48L * 1024 * 1024)).isEqualTo("48 MB");
        assertThat(Magnitudes.bytes(16L * 1024 * 1024 + 1)).isEqualTo("16 MB");
        assertThat(Magnitudes.duration(Duration.ofSeconds(5))).isEqualTo("5 s");
        assertThat(Magnitudes.duration(Duration.ofMillis(12_440))).isEqualTo("12.4 s");
        assertThat(Magnitudes.duration(Duration.ofMillis(250))).isEqualTo("250 ms");
        assertThat(Magnitudes.duration(Duration.ofSeconds(1))).isEqualTo("1 s");
    }
}
