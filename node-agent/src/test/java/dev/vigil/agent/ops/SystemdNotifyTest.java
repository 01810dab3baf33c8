package dev.vigil.agent.ops;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class SystemdNotifyTest {

    @Test
    void withoutNotifySocketEverythingIsANoOp() {
        SystemdNotify n = SystemdNotify.fromEnvironment(Map.of());
        assertThat(n.enabled()).isFalse();
        assertThat(n.send("READY=1\n")).isFalse();
        n.startWatchdog(); // no thread without a socket
        n.close();
    }

    @Test
    void socketNamesArePathsOrAbstract() {
        assertThat(SystemdNotify.socketAddress("/run/systemd/notify")).get()
                .extracting(a -> a.path()).isEqualTo("/run/systemd/notify");
        assertThat(SystemdNotify.socketAddress("@/org/freedesktop/systemd1/notify")).get()
                .extracting(a -> a.path()).isEqualTo("\0/org/freedesktop/systemd1/notify");
        assertThat(SystemdNotify.socketAddress("relative/path")).isEmpty();
        assertThat(SystemdNotify.socketAddress("")).isEmpty();
    }

    @Test
    void theWatchdogIsOnlyForThisProcess() {
        assertThat(SystemdNotify.watchdogPeriod(Map.of("WATCHDOG_USEC", "10000000"), 42)).hasValue(Duration.ofSeconds(10));
        assertThat(SystemdNotify.watchdogPeriod(Map.of("WATCHDOG_USEC", "10000000", "WATCHDOG_PID", "42"), 42)).isPresent();
        assertThat(SystemdNotify.watchdogPeriod(Map.of("WATCHDOG_USEC", "10000000", "WATCHDOG_PID", "43"), 42)).isEmpty();
        assertThat(SystemdNotify.watchdogPeriod(Map.of("WATCHDOG_USEC", "0"), 42)).isEmpty();
        assertThat(SystemdNotify.watchdogPeriod(Map.of("WATCHDOG_USEC", "x"), 42)).isEmpty();
    }

    @Test
    void readinessNamesTheMainPidOnOneStatusLine() {
        assertThat(SystemdNotify.readyMessage(7, "two\nlines")).isEqualTo("READY=1\nMAINPID=7\nSTATUS=two lines\n");
    }
}
