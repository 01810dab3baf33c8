package dev.vigil.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A real other JVM owns the labs; we end it the two ways a test run ends badly. */
@Timeout(120)
class KilledRunIT {

    private record Abandoned(HostProcess jvm, String netPrefix, String pgName, long postmaster, Path log) {
    }

    private static Abandoned launch() throws Exception {
        Path log = Files.createTempFile("vigil-abandoned-", ".log");
        String java = ProcessHandle.current().info().command().orElse("java");
        HostProcess jvm = HostProcess.start(List.of(java, "-cp", System.getProperty("java.class.path"),
                AbandonedLab.class.getName()), log);
        jvm.awaitLog("READY ", Duration.ofSeconds(60));
        String[] ready = jvm.log().lines().filter(l -> l.startsWith("READY ")).findFirst().orElseThrow().split(" ");
        return new Abandoned(jvm, ready[1], ready[2], Long.parseLong(ready[3]), log);
    }

    private static void assertGone(Abandoned run) {
        assertThat(NetLab.namespaces()).noneMatch(ns -> ns.startsWith(run.netPrefix()));
        assertThat(NetLab.links()).noneMatch(link -> link.startsWith(run.netPrefix()));
        assertThat(NetLab.nftTables()).noneMatch(table -> table.contains(run.netPrefix()));
        assertThat(ProcessHandle.of(run.postmaster()).filter(PgCluster::running)).isEmpty();
        assertThat(LabLock.WORK_ROOT.resolve(run.netPrefix())).doesNotExist();
        assertThat(LabLock.WORK_ROOT.resolve(run.pgName())).doesNotExist();
        assertThat(LabLock.LOCK_DIR.resolve(run.netPrefix() + ".lock")).doesNotExist();
        assertThat(LabLock.LOCK_DIR.resolve(run.pgName() + ".lock")).doesNotExist();
    }

    @Test
    void aTerminatedJvmCleansUpInItsShutdownHook() throws Exception {
        Abandoned run = launch();
        try {
            run.jvm().signal("TERM");
            assertThat(run.jvm().waitFor(Duration.ofSeconds(30))).isPresent();
            assertGone(run);
        } finally {
            run.jvm().kill();
            Files.deleteIfExists(run.log());
        }
    }

    @Test
    void leftoversOfAKilledJvmAreSweptByTheNextLabs() throws Exception {
        Abandoned run = launch();
        try {
            run.jvm().kill();
            assertThat(NetLab.namespaces()).contains(run.netPrefix() + "-a", run.netPrefix() + "-b");
            assertThat(ProcessHandle.of(run.postmaster()).filter(PgCluster::running)).isPresent();

            NetLab.create("next").close();
            PgLab.create().close();

            assertGone(run);
        } finally {
            run.jvm().kill();
            NetLab.removeResources(run.netPrefix());
            Files.deleteIfExists(run.log());
        }
    }
}
