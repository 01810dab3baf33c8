package dev.vigil.agent.report;

import dev.vigil.agent.config.VigilSettings;
import dev.vigil.model.AddressFamily;
import dev.vigil.model.AgentFact;
import dev.vigil.model.RouterRef;
import dev.vigil.model.RouterState;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Figures, not a test: end-to-end latency from {@code record()} to the coordinator's confirmed
 * store (its 200 reply, i.e. committed), at a fixed rate, with the real coordinator as a child JVM;
 * and the CPU spent by reporting's own threads (outbox writer, shipper, HTTP client). Run:
 * <pre>
 * mvn -B -q -o -pl node-agent -am test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 * java -cp node-agent/target/test-classes:node-agent/target/classes:$(cat /tmp/cp.txt) \
 *      dev.vigil.agent.report.ReportingBench 100 30 10
 * </pre>
 * Arguments: facts per second, measured seconds, warm-up seconds (default 10).
 */
public final class ReportingBench {
    public static void main(String[] args) throws Exception {
        int rate = Integer.parseInt(args[0]);
        int seconds = Integer.parseInt(args[1]);
        int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        Path home = Files.createTempDirectory("vigil-report-bench");
        try (CoordinatorProcess coordinator = new CoordinatorProcess(home, List.of("bench"), false)) {
            coordinator.start();
            int skip = rate * warmup;
            int total = rate * seconds + skip;
            long[] recordedAt = new long[total + 1];
            long[] latency = new long[total + 1];
            ConcurrentHashMap<Long, Boolean> seen = new ConcurrentHashMap<>();
            VigilSettings settings = new VigilSettings(Optional.of("bench"), "pg-main", home.resolve("state"),
                    List.of(coordinator.url()), Optional.of(coordinator.tokenFile("bench")), Path.of("/nonexistent"));
            Reporting reporting = Reporting.start(settings, "bench", Reporting.Options.defaults().onStored(stored -> {
                long now = System.nanoTime();
                for (Reporting.StoredFact f : stored) {
                    if (f.seq() <= total && seen.putIfAbsent(f.seq(), true) == null) {
                        latency[(int) f.seq()] = now - recordedAt[(int) f.seq()];
                    }
                }
            }));
            RouterRef vi = new RouterRef("VI_PG", 51, AddressFamily.IPV4);
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            // warm-up: JIT the paths, first HTTP connection
            com.sun.management.OperatingSystemMXBean os =
                    (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long cpuBefore = 0;
            long processBefore = 0;
            long recordNanos = 0;
            long measuredFrom = 0;
            long start = System.nanoTime();
            long period = TimeUnit.SECONDS.toNanos(1) / rate;
            for (int i = 1; i <= total; i++) {
                long due = start + i * period;
                long wait;
                while ((wait = due - System.nanoTime()) > 0) {
                    TimeUnit.NANOSECONDS.sleep(Math.min(wait, 1_000_000));
                }
                AgentFact fact = new AgentFact.RouterStateChanged(vi, RouterState.BACKUP, RouterState.MASTER,
                        "bench transition " + i, 100, 100, Optional.empty());
                if (i == skip + 1) {
                    cpuBefore = reportingCpuNanos(threads);
                    processBefore = os.getProcessCpuTime();
                    measuredFrom = System.nanoTime();
                }
                long t = System.nanoTime();
                recordedAt[i] = t;
                reporting.record(fact);
                if (i > skip) {
                    recordNanos += System.nanoTime() - t;
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (seen.size() < total && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            long wall = System.nanoTime() - measuredFrom;
            long cpu = reportingCpuNanos(threads) - cpuBefore;
            if (Boolean.getBoolean("bench.threads")) {
                for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
                    if (info != null) {
                        System.out.printf("  thread %-40s %6.0f ms CPU%n", info.getThreadName(),
                                threads.getThreadCpuTime(info.getThreadId()) / 1e6);
                    }
                }
            }
            long process = os.getProcessCpuTime() - processBefore;
            Runtime rt = Runtime.getRuntime();
            long heapUsed = rt.totalMemory() - rt.freeMemory();
            reporting.close();
            long[] sorted = Arrays.stream(latency, skip + 1, total + 1).sorted().toArray();
            System.out.printf("facts %d at %d/s after %d s warm-up: stored %d of %d%n", total - skip, rate, warmup,
                    seen.size(), total);
            System.out.printf("record()->stored latency ms: p50 %.2f  p99 %.2f  max %.2f%n",
                    pct(sorted, 0.50), pct(sorted, 0.99), sorted[sorted.length - 1] / 1e6);
            System.out.printf("record() on the caller: %.1f us per call on average%n", recordNanos / 1e3 / (total - skip));
            System.out.printf("reporting threads CPU: %.0f ms over %.1f s wall = %.2f%% of one core%n",
                    cpu / 1e6, wall / 1e9, 100.0 * cpu / wall);
            System.out.printf("whole bench JVM CPU (recording loop, GC, JIT included): %.0f ms = %.2f%% of one core;"
                    + " heap in use at the end %.1f MiB%n", process / 1e6, 100.0 * process / wall, heapUsed / 1048576.0);
        }
    }

    private static double pct(long[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)] / 1e6;
    }

    /** CPU of the outbox writer, the shipper and the JDK HTTP client's threads. */
    private static long reportingCpuNanos(ThreadMXBean threads) {
        long sum = 0;
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info == null) {
                continue;
            }
            String name = info.getThreadName();
            if (name.startsWith("vigil-outbox") || name.startsWith("vigil-shipper") || name.startsWith("HttpClient")) {
                long t = threads.getThreadCpuTime(info.getThreadId());
                sum += Math.max(0, t);
            }
        }
        return sum;
    }
}
