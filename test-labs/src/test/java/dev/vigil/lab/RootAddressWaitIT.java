package dev.vigil.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Two processes' labs both want the root namespace's address on one network: the second waits its turn. */
@Timeout(120)
class RootAddressWaitIT {

    @Test
    void aLabInAnotherProcessWaitsForTheRootAddressInsteadOfFailing() throws Exception {
        Path log = Files.createTempFile("vigil-rootaddr-", ".log");
        String java = ProcessHandle.current().info().command().orElse("java");
        HostProcess holder = HostProcess.start(List.of(java, "-cp", System.getProperty("java.class.path"),
                RootAddressHolder.class.getName(), "4000"), log);
        try {
            holder.awaitLog("HOLDING ", Duration.ofSeconds(60));
            long start = System.nanoTime();
            try (NetLab lab = NetLab.create("waiter")) {
                lab.segment("vrrp");
                Segment mgmt = lab.segment("mgmt", true);
                long waitedMs = (System.nanoTime() - start) / 1_000_000;
                assertThat(waitedMs).as("waited for the holder to let go").isGreaterThan(1000);
                assertThat(Exec.run("ip", "-o", "addr", "show", "dev", mgmt.bridge()).stdout()).contains(mgmt.ip4(1));
            }
        } finally {
            holder.kill();
            Files.deleteIfExists(log);
        }
    }
}
