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
 *      dev.vigil.agent.report.ReportingBench 100 30 10 eager,default
 * </pre>
 * Arguments: facts per second, measured seconds, warm-up seconds (default 10), and the batching to
 * measure one after the other against the same coordinator (default {@code default}): {@code eager}
 * is the first design (1 ms commit polls, a request per durable batch), {@code default} is
 * {@link Reporting.Batching#DEFAULT}, {@code C/L} is commit every C ms and linger L ms.
 */
public final class ReportingBench {
    public static void main(String[] args) throws Exception {
        int rate = Integer.parseInt(args[0]);
        int seconds = Integer.parseInt(args[1]);
        int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        List<String> modes = List.of((args.length > 3 ? args[3] : "default").split(","));
        Path home = Files.createTempDirectory("vigil-report-bench");
        List<String> agents = modes.stream().map(m -> "bench" + m.replaceAll("[^a-z0-9]", "-")).toList();
        try (CoordinatorProcess coordinator = new CoordinatorProcess(home, agents, false)) {
            coordinator.start();
            for (int m = 0; m < modes.size(); m++) {
                run(coordinator, home, agents.get(m), batching(modes.get(m)), modes.get(m), rate, seconds, warmup);
            }
        }
    }

    private static Reporting.Batching batching(String mode) {
        return switch (mode) {
            case "eager" -> Reporting.Batching.EAGER;
            case "default" -> Reporting.Batching.DEFAULT;
            default -> new Reporting.Batching(Long.parseLong(mode.split("/")[0]), Long.parseLong(mode.split("/")[1]));
        };
    }

    private static void run(CoordinatorProcess coordinator, Path home, String agent, Reporting.Batching batching,
                            String mode, int rate, int seconds, int warmup) throws Exception {
        {
            int skip = rate * warmup;
            int total = rate * seconds + skip;
            long[] recordedAt = new long[total + 1];
            long[] latency = new long[total + 1];
            ConcurrentHashMap<Long, Boolean> seen = new ConcurrentHashMap<>();
            VigilSettings settings = new VigilSettings(Optional.of(agent), "pg-main", home.resolve("state-" + agent),
                    List.of(coordinator.url()), Optional.of(coordinator.tokenFile(agent)), Path.of("/nonexistent"));
            Reporting reporting = Reporting.start(settings, agent, Reporting.Options.defaults().withBatching(batching)
                    .onStored(stored -> {
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
            java.util.Map<Long, Long> cpuBefore = java.util.Map.of();
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
                    cpuBefore = reportingCpu(threads);
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
            long cpu = reportingCpuNanosSince(threads, cpuBefore);
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
            System.out.printf("== batching %s (commit every %d ms, linger %d ms)%n", mode, batching.commitEveryMillis(),
                    batching.shipLingerMillis());
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

    /** CPU of the outbox writer, the shipper and the JDK HTTP client's threads, by thread id. */
    private static java.util.Map<Long, Long> reportingCpu(ThreadMXBean threads) {
        java.util.Map<Long, Long> out = new java.util.HashMap<>();
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info == null) {
                continue;
            }
            String name = info.getThreadName();
            if (name.startsWith("vigil-outbox") || name.startsWith("vigil-shipper") || name.startsWith("HttpClient")) {
                out.put(info.getThreadId(), Math.max(0, threads.getThreadCpuTime(info.getThreadId())));
            }
        }
        return out;
    }

    /**
     * CPU those threads spent since {@code before}, per thread: threads of an earlier run in the same JVM
     * that die meanwhile must not make the sum go down.
     */
    private static long reportingCpuNanosSince(ThreadMXBean threads, java.util.Map<Long, Long> before) {
        long sum = 0;
        for (java.util.Map.Entry<Long, Long> now : reportingCpu(threads).entrySet()) {
            sum += now.getValue() - before.getOrDefault(now.getKey(), 0L);
        }
        return sum;
    }
}
