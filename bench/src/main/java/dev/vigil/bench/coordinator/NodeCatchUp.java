package dev.vigil.bench.coordinator;

import com.sun.management.OperatingSystemMXBean;
import com.zaxxer.hikari.HikariDataSource;
import dev.vigil.coordinator.processing.NodeProjectionProgress;
import dev.vigil.coordinator.processing.NodeProjectionReplay;
import dev.vigil.coordinator.processing.ProcessorSettings;
import dev.vigil.coordinator.processing.ProjectionProcessors;
import dev.vigil.coordinator.projection.NodeReadModel;
import dev.vigil.coordinator.store.AuditStore;
import dev.vigil.model.EnvelopeCodec;
import dev.vigil.coordinator.store.StoreMigrations;
import dev.vigil.coordinator.store.StoreSettings;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The node projection's catch-up on a seeded store (e.g. QueryLatency -Dbench.seedOnly=true): empties rm_node* and
 * its tokens ({@code rebuild-read-models}), starts the processors alone (no HTTP, no review refresh), and times the
 * tokens reaching the head. Prints events/s and this JVM's CPU per event every 10 s and at the end; stops at the
 * head or after -Dbench.maxSeconds (default 600), extrapolating; -Dbench.check=true then compares the tables with a
 * fold of the whole stream; -Dbench.segments=N: the processor's segment count (default 6);
 * -Dbench.backfill=false: the pooled processor replays (no bulk catch-up). Usage: NodeCatchUp jdbc-url
 */
public final class NodeCatchUp {
    public static void main(String[] args) throws Exception {
        String url = args[0];
        long maxSeconds = Long.getLong("bench.maxSeconds", 600);
        StoreSettings store = new StoreSettings(url, System.getProperty("db.user", "postgres"), "", 4, 1000);
        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try (HikariDataSource ds = AuditStore.pool(store)) {
            StoreMigrations.migrate(ds, store.vendor());
            ProcessorSettings defaults = ProcessorSettings.defaults();
            NodeProjectionReplay.reset(ds, defaults.claimTimeout());
            long head = NodeProjectionProgress.of(ds).head();
            System.out.printf("load average %s; head %,d; node projection reset%n", load(), head);
            ProcessorSettings settings = new ProcessorSettings(Integer.getInteger("bench.segments", defaults.segments()), defaults.claimTimeout(), defaults.nodeId(),
                    Duration.ofDays(1));
            long cpu0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            long lastPrint = t0;
            long lastDone = 0;
            long lastCpu = cpu0;
            NodeProjectionProgress.Progress p;
            try (ProjectionProcessors processors = ProjectionProcessors.start(store, settings, List.of(),
                    Boolean.parseBoolean(System.getProperty("bench.backfill", "true")) ? 50_000 : Long.MAX_VALUE)) {
                while (true) {
                    Thread.sleep(200);
                    p = NodeProjectionProgress.of(ds);
                    long now = System.nanoTime();
                    if (p.caughtUp() || now - t0 > maxSeconds * 1_000_000_000L) {
                        break;
                    }
                    if (now - lastPrint > 10_000_000_000L) {
                        long cpu = os.getProcessCpuTime();
                        long done = Math.max(0, p.lowest());
                        System.out.printf("  last %.1f s: %,.0f events/s, JVM CPU %.1f us/event%n", (now - lastPrint) / 1e9,
                                (done - lastDone) / ((now - lastPrint) / 1e9),
                                done == lastDone ? 0 : (cpu - lastCpu) / 1e3 / (done - lastDone));
                        lastPrint = now;
                        lastDone = done;
                        lastCpu = cpu;
                        print("  ", p, head, t0, cpu0, os);
                    }
                }
                print(p.caughtUp() ? "caught up:" : "stopped at the time limit:", p, head, t0, cpu0, os);
            }
            if (Boolean.getBoolean("bench.check")) {
                // -Dbench.check=true: the tables equal a fold of the whole stream (what the pooled replay would write).
                NodeReadModel model = new NodeReadModel(EnvelopeCodec.standard());
                boolean same = model.all(ds).equals(model.fromStream(ds));
                System.out.println("read model equals the fold of the stream: " + same);
            }
        }
        System.exit(0);
    }

    private static void print(String what, NodeProjectionProgress.Progress p, long head, long t0, long cpu0,
                              OperatingSystemMXBean os) throws Exception {
        double s = (System.nanoTime() - t0) / 1e9;
        long done = Math.max(0, p.lowest());
        double cpuUs = (os.getProcessCpuTime() - cpu0) / 1e3;
        System.out.printf("%s %.1f s, lowest token %,d of %,d (%d segments): %,.0f events/s, JVM CPU %.1f us/event;"
                        + " to the head at this rate: %.0f s; load %s%n", what, s, done, head, p.segments(),
                done / s, done == 0 ? 0 : cpuUs / done, done == 0 ? 0 : head / (done / s), load());
    }

    private static String load() throws Exception {
        return Files.readString(Path.of("/proc/loadavg")).trim();
    }
}
