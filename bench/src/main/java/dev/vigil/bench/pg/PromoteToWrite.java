package dev.vigil.bench.pg;

import dev.vigil.lab.Host;
import dev.vigil.lab.HostProcess;
import dev.vigil.lab.NetLab;
import dev.vigil.lab.PgCluster;
import dev.vigil.lab.PgLab;
import dev.vigil.lab.Requirements;
import dev.vigil.lab.Segment;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Issue 6's benchmark: time from promotion returning to the first write that commits through the write VIP, Vigil's
 * native {@code pg_check} against keepalived 2.2.7 with the usual {@code vrrp_script} forking {@code psql}; and the
 * whole-process CPU of each while they keep checking. Same NetLab, same PgLab, same run, rounds interleaved.
 *
 * <p>Each round: a primary in host a, a streaming standby in host b, the implementation's agent in each (VRRPv3,
 * advert_int 0.1 s, a 150, b 100, the check as a weight-0 tracker so only a primary is eligible), a client in host c.
 * The primary crashes (kill -9), the VIP leaves a and b stays in FAULT; the standby is promoted
 * ({@code pg_promote(wait)}, which returns once it accepts writes); the client's first committed write through the VIP
 * ends the round.
 *
 * <p>CPU: a steady primary and standby, both agents checking, for {@code CPU_SECONDS}: utime + stime of each agent's
 * process tree, with the children it reaped (cutime + cstime: keepalived's forked {@code sh} and {@code psql}), from
 * /proc; and the PostgreSQL servers' trees likewise (each forked {@code psql} costs a backend start).
 *
 * <p>Root, PostgreSQL 15, keepalived. Environment: ROUNDS (10), CPU_SECONDS (30), IMPLS ("vigil keepalived"),
 * VIGIL_INTERVAL (0.2), KEEPALIVED_INTERVAL (1), AGENT_JAVA_OPTS (Vigil agents' JVM flags, default bin/vigil-agent's),
 * WARMUP_SECONDS (60: agents running before the CPU window; the JIT compiles the check path within it), PROFILE_DIR (Vigil's agents record JFR during the CPU runs into that folder: a-with.jfr, b-without.jfr, ...).
 * The CPU runs also print each agent's busiest threads (utime/stime from /proc/PID/task) to stderr.
 */
public final class PromoteToWrite {
    static final int VRID = 91;
    static final String ADVERT_INT = "0.1";
    static final String AGENT_JVM = "-Xms8m -Xmx48m -XX:+UseSerialGC -Xss256k -XX:MaxMetaspaceSize=64m"
            + " -XX:ReservedCodeCacheSize=16m -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:MaxDirectMemorySize=16m"
            + " -Dio.netty.allocator.type=unpooled -XX:+ExitOnOutOfMemoryError"
            + " -XX:CompileCommand=quiet -XX:CompileCommand=CompileThresholdScaling,dev.vigil.agent.*::*,0.05"
            + " -XX:CompileCommand=CompileThresholdScaling,org.postgresql.*::*,0.05"
            + " -XX:CompileCommand=CompileThresholdScaling,java.util.concurrent.*::*,0.05";   // bin/vigil-agent's
    static final long HZ = 100; // USER_HZ: /proc/PID/stat times are in 1/100 s on Linux

    private final NetLab lab;
    private final PgLab pg;
    private final Host a;
    private final Host b;
    private final Host c;
    private final String vip;
    private final String classPath = System.getProperty("java.class.path");
    private final String vigilInterval = env("VIGIL_INTERVAL", "0.2");
    private final String keepalivedInterval = env("KEEPALIVED_INTERVAL", "1");
    private final String agentJvm = env("AGENT_JAVA_OPTS", AGENT_JVM);
    private final int warmupSeconds = Integer.parseInt(env("WARMUP_SECONDS", "60"));
    /** When set, a folder: Vigil's agents record JFR (execution samples every 1 ms) during the CPU runs, kept there. */
    private final Optional<Path> profileDir = Optional.ofNullable(System.getenv("PROFILE_DIR")).filter(v -> !v.isBlank()).map(Path::of);
    private int clusters;
    private int files;

    private PromoteToWrite(NetLab lab, PgLab pg) {
        this.lab = lab;
        this.pg = pg;
        Segment seg = lab.segment("db");
        this.a = lab.host("a", seg);
        this.b = lab.host("b", seg);
        this.c = lab.host("c", seg);
        this.vip = seg.ip4(100);
    }

    public static void main(String[] args) throws Exception {
        Requirements.requireRoot();
        Requirements.requireCommand("keepalived");
        int rounds = Integer.parseInt(env("ROUNDS", "10"));
        int cpuSeconds = Integer.parseInt(env("CPU_SECONDS", "30"));
        List<String> impls = List.of(env("IMPLS", "vigil keepalived").trim().split("\\s+"));
        try (NetLab lab = NetLab.create("pgbench"); PgLab pg = PgLab.create()) {
            new PromoteToWrite(lab, pg).run(rounds, cpuSeconds, impls);
        }
    }

    private void run(int rounds, int cpuSeconds, List<String> impls) {
        String load = read(Path.of("/proc/loadavg")).trim();
        System.out.printf("Run of %s, Java %s, %s, load average %s at start%n%n", java.time.Instant.now(),
                System.getProperty("java.version"), firstLine(exec("keepalived", "-v")), load);
        Map<String, List<Double>> seconds = new LinkedHashMap<>();
        Map<String, Integer> failures = new HashMap<>();
        Map<String, List<Double>> fromCall = new LinkedHashMap<>();
        impls.forEach(i -> fromCall.put(i, new ArrayList<>()));
        impls.forEach(i -> seconds.put(i, new ArrayList<>()));
        for (int r = 1; r <= rounds; r++) {
            for (String impl : impls) {
                try {
                    double[] s = round(impl);
                    seconds.get(impl).add(s[0]);
                    fromCall.get(impl).add(s[1]);
                    System.err.printf("round %d %s: %.3f s after pg_promote returned, %.3f s after it was called%n",
                            r, impl, s[0], s[1]);
                } catch (RuntimeException | AssertionError e) {
                    failures.merge(impl, 1, Integer::sum);
                    System.err.printf("round %d %s FAILED: %s%n", r, impl, firstLine(String.valueOf(e.getMessage())));
                }
            }
        }
        System.out.printf("## Promote to first write through the write VIP (%d rounds, VRRPv3 advert_int %s s, "
                + "Master_Down_Interval of b = %.3f s)%n%n", rounds, ADVERT_INT, masterDown(100));
        table("From pg_promote(wait) returning", impls, seconds, failures);
        table("From pg_promote(wait) called", impls, fromCall, failures);
        System.out.println();
        if (cpuSeconds > 0) {
            System.out.printf("## CPU while checking: primary in a, standby in b, both agents, %d s after %d s of warm-up%n%n",
                    cpuSeconds, warmupSeconds);
            System.out.println("| Implementation | Check | Agent a (primary) CPU s | Agent b (standby) CPU s | Agents, % of one core"
                    + " | Checks run (a + b) | Agent CPU per check (ms) | PostgreSQL servers CPU s |");
            System.out.println("|---|---|---|---|---|---|---|---|");
            Map<String, Double> checking = new HashMap<>();
            for (String impl : impls) {
                double without = cpu(impl, cpuSeconds, false);
                double with = cpu(impl, cpuSeconds, true);
                checking.put(impl, with - without);
            }
            System.out.println();
            for (String impl : impls) {
                System.out.printf(Locale.ROOT, "CPU for checking (with the check minus without), %s: %.2f s in %d s = %.2f %% of one core%n",
                        impl, checking.get(impl), cpuSeconds, checking.get(impl) * 100 / cpuSeconds);
            }
            if (impls.size() == 2) {
                System.out.printf(Locale.ROOT, "Ratio %s / %s, CPU for checking: %.1f; whole agents: see the rows%n",
                        impls.get(1), impls.get(0), checking.get(impls.get(1)) / checking.get(impls.get(0)));
            }
        }
    }

    private void table(String title, List<String> impls, Map<String, List<Double>> seconds, Map<String, Integer> failures) {
        System.out.printf("%s:%n%n", title);
        System.out.println("| Implementation | Check | Failed rounds | Median (s) | Min (s) | Max (s) | IQR (s) | Every round (s) |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        for (String impl : impls) {
            List<Double> v = sorted(seconds.get(impl));
            if (v.isEmpty()) {
                System.out.printf("| %s | %s | %d | - | - | - | - | - |%n", impl, checkDescription(impl), failures.getOrDefault(impl, 0));
                continue;
            }
            System.out.printf(Locale.ROOT, "| %s | %s | %d | %.3f | %.3f | %.3f | %.3f | %s |%n", impl, checkDescription(impl),
                    failures.getOrDefault(impl, 0), quantile(v, 0.5), v.get(0), v.get(v.size() - 1),
                    quantile(v, 0.75) - quantile(v, 0.25),
                    seconds.get(impl).stream().map(x -> String.format(Locale.ROOT, "%.2f", x)).collect(Collectors.joining(" ")));
        }
        if (impls.size() == 2 && !seconds.get(impls.get(0)).isEmpty() && !seconds.get(impls.get(1)).isEmpty()) {
            System.out.printf(Locale.ROOT, "%nMedian ratio %s / %s: %.2f; worst: %.3f s / %.3f s%n", impls.get(1), impls.get(0),
                    quantile(sorted(seconds.get(impls.get(1))), 0.5) / quantile(sorted(seconds.get(impls.get(0))), 0.5),
                    sorted(seconds.get(impls.get(1))).get(seconds.get(impls.get(1)).size() - 1),
                    sorted(seconds.get(impls.get(0))).get(seconds.get(impls.get(0)).size() - 1));
        }
        System.out.println();
    }

    /** What the standby's agent logs once its check failed (keepalived starting with a failed script stays silent on FAULT). */
    private static String standbyRefused(String impl) {
        return impl.equals("vigil") ? "(VI_" + VRID + ") Entering FAULT STATE" : "VRRP_Script(chk_pg_primary) failed";
    }

    private String checkDescription(String impl) {
        return impl.equals("vigil") ? "pg_check, interval " + vigilInterval + " s, rise 1"
                : "vrrp_script forking psql, interval " + keepalivedInterval + " s, rise 1";
    }

    /** One round: seconds to the first committed write through the VIP from promotion returning, and from its call. */
    private double[] round(String impl) {
        int n = ++clusters;
        PgCluster primary = pg.cluster("p" + n, a);
        primary.query("create table orders(x int)");
        PgCluster standby = pg.standbyOf("s" + n, primary, b);
        HostProcess agentA = startAgent(impl, a, primary, b, standby, 150);
        HostProcess agentB = startAgent(impl, b, standby, a, primary, 100);
        HostProcess writer = null;
        try {
            agentA.awaitLog("(VI_" + VRID + ") Entering MASTER STATE", Duration.ofSeconds(30));
            agentB.awaitLog(standbyRefused(impl), Duration.ofSeconds(30));
            awaitHolds(a, true, Duration.ofSeconds(5));
            sleep(1500); // the agents settle (Vigil: JIT of the check path)
            standby.awaitReplayOf(primary);
            primary.crash();
            awaitHolds(a, false, Duration.ofSeconds(10));
            writer = c.start("java", "-Xmx32m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", classPath,
                    WriteProbe.class.getName(), vip, Integer.toString(standby.port()), b.address());
            writer.awaitLog("READY", Duration.ofSeconds(20));
            sleep(1000); // the writer's attempts are running (and failing: nobody holds the VIP)
            if (holds(b)) {
                throw new IllegalStateException(impl + ": the standby holds the write VIP before promotion");
            }
            // pg_promote(wait => true) as pg_ctl promote -w: returns once the server is out of recovery, polling
            // every 100 ms, so the write can come before it returns (then the figure is negative)
            long called = System.nanoTime();
            standby.query("select pg_promote(true, 60)");
            long promoted = System.nanoTime();
            try {
                writer.awaitLog("WROTE ", Duration.ofSeconds(20));
            } catch (AssertionError e) {
                keepLogs(impl + "-" + n, agentA, agentB, writer);
                throw e;
            }
            long wrote = Long.parseLong(writer.log().lines().filter(l -> l.startsWith("WROTE ")).findFirst()
                    .orElseThrow().substring(6).trim());
            if (standby.isInRecovery()) {
                throw new IllegalStateException("still in recovery after pg_promote");
            }
            return new double[] {(wrote - promoted) / 1e9, (wrote - called) / 1e9};
        } finally {
            if (writer != null) {
                writer.kill();
            }
            agentA.stop(Duration.ofSeconds(5));
            agentB.stop(Duration.ofSeconds(5));
            standby.stop();
        }
    }

    /** A failed round's logs, kept after the lab is gone: /tmp/vigil-pgbench-failed/NAME-*.log. */
    private static void keepLogs(String name, HostProcess... processes) {
        try {
            Path dir = Files.createDirectories(Path.of("/tmp/vigil-pgbench-failed"));
            int i = 0;
            for (HostProcess p : processes) {
                Files.writeString(dir.resolve(name + "-" + (i++) + ".log"), p.log());
            }
            System.err.println("logs of the failed round in " + dir + "/" + name + "-*.log");
        } catch (IOException e) {
            System.err.println("cannot keep the logs: " + e);
        }
    }

    /**
     * Agents' CPU (process trees, reaped children included) over {@code seconds} of steady checking; prints a row and
     * returns the agents' CPU seconds.
     */
    private double cpu(String impl, int seconds, boolean withCheck) {
        int n = ++clusters;
        PgCluster primary = pg.cluster("p" + n, a);
        PgCluster standby = pg.standbyOf("s" + n, primary, b);
        HostProcess agentA = startAgent(impl, a, primary, b, standby, 150, withCheck);
        HostProcess agentB = startAgent(impl, b, standby, a, primary, 100, withCheck);
        try {
            agentA.awaitLog("(VI_" + VRID + ") Entering MASTER STATE", Duration.ofSeconds(30));
            agentB.awaitLog(withCheck ? standbyRefused(impl) : "(VI_" + VRID + ") Entering BACKUP STATE", Duration.ofSeconds(30));
            sleep(warmupSeconds * 1000L);
            long pgPidA = postmaster(primary);
            long pgPidB = postmaster(standby);
            Map<String, long[]> ta0 = threadTicks(agentA.pid()), tb0 = threadTicks(agentB.pid());
            long a0 = treeTicks(agentA.pid()), b0 = treeTicks(agentB.pid());
            long s0 = treeTicks(pgPidA) + treeTicks(pgPidB);
            sleep(seconds * 1000L);
            long a1 = treeTicks(agentA.pid()), b1 = treeTicks(agentB.pid());
            long s1 = treeTicks(pgPidA) + treeTicks(pgPidB);
            String label = impl + (withCheck ? " with check" : " without check");
            printThreads(label + ", agent a (primary), " + rss(agentA.pid()), ta0, threadTicks(agentA.pid()));
            printThreads(label + ", agent b (standby), " + rss(agentB.pid()), tb0, threadTicks(agentB.pid()));
            double ca = (a1 - a0) / (double) HZ, cb = (b1 - b0) / (double) HZ, cs = (s1 - s0) / (double) HZ;
            double perSecond = !withCheck ? 0 : impl.equals("vigil") ? 1 / Double.parseDouble(vigilInterval)
                    : 1 / Double.parseDouble(keepalivedInterval);
            // Checks run: from the schedule (2 agents x seconds / interval); neither logs a passing run.
            double checks = 2 * seconds * perSecond;
            System.out.printf(Locale.ROOT, "| %s | %s | %.2f | %.2f | %.2f | %.0f | %s | %.2f |%n", impl,
                    withCheck ? checkDescription(impl) : "none (VRRP only)", ca, cb, (ca + cb) * 100 / seconds, checks,
                    withCheck ? String.format(Locale.ROOT, "%.2f", (ca + cb) * 1000 / checks) : "-", cs);
            return ca + cb;
        } finally {
            agentA.stop(Duration.ofSeconds(5));
            agentB.stop(Duration.ofSeconds(5));
            primary.stop();
            standby.stop();
            keepRecordings(impl, withCheck);
        }
    }

    /** Copies the JFR recordings of a CPU run out of the lab's folder (removed on exit). */
    private void keepRecordings(String impl, boolean withCheck) {
        if (profileDir.isEmpty() || !impl.equals("vigil")) {
            return;
        }
        for (Host h : List.of(a, b)) {
            Path f = lab.workDir().resolve(h.name() + ".jfr");
            if (Files.exists(f)) {
                try {
                    Files.createDirectories(profileDir.get());
                    Path to = profileDir.get().resolve(h.name() + (withCheck ? "-with" : "-without") + ".jfr");
                    Files.move(f, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    System.err.println("JFR recording: " + to);
                } catch (IOException e) {
                    System.err.println("cannot keep " + f + ": " + e);
                }
            }
        }
    }

    /**
     * Per thread of the process: its name, CPU time in nanoseconds (/proc/PID/task/TID/schedstat, exact, where
     * utime/stime count 10 ms ticks) and context switches. Threads that ended during the window are missed; the
     * process total is the truth.
     */
    static Map<String, long[]> threadTicks(long root) {
        Map<String, long[]> out = new HashMap<>();
        for (Path task : tasksOf(root)) {
            Optional<String> stat = readQuietly(task.resolve("stat"));
            Optional<String> sched = readQuietly(task.resolve("schedstat"));
            if (stat.isEmpty() || sched.isEmpty()) {
                continue;
            }
            String st = stat.get();
            String name = st.substring(st.indexOf('(') + 1, st.lastIndexOf(')')) + " #" + task.getFileName();
            long switches = readQuietly(task.resolve("status")).map(t -> t.lines()
                    .filter(l -> l.startsWith("voluntary_ctxt_switches:") || l.startsWith("nonvoluntary_ctxt_switches:"))
                    .mapToLong(l -> Long.parseLong(l.substring(l.indexOf(':') + 1).trim())).sum()).orElse(0L);
            out.put(name, new long[] {Long.parseLong(sched.get().trim().split(" ")[0]), switches});
        }
        return out;
    }

    private static String rss(long pid) {
        return readQuietly(Path.of("/proc/" + pid + "/status")).flatMap(t -> t.lines().filter(l -> l.startsWith("VmRSS:"))
                .findFirst()).map(l -> "RSS " + l.substring(6).trim()).orElse("RSS ?");
    }

    private static List<Path> tasksOf(long pid) {
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            return tasks.toList();
        } catch (IOException | UncheckedIOException gone) {
            return List.of();
        }
    }

    private static void printThreads(String title, Map<String, long[]> before, Map<String, long[]> after) {
        Map<String, long[]> byName = new HashMap<>();
        after.forEach((k, v) -> {
            long[] b0 = before.getOrDefault(k, new long[2]);
            long[] t = byName.computeIfAbsent(k.replaceAll(" #\\d+$", "").replaceAll("[-#]?\\d+$", "").trim(), n -> new long[2]);
            t[0] += v[0] - b0[0];
            t[1] += v[1] - b0[1];
        });
        long total = byName.values().stream().mapToLong(t -> t[0]).sum();
        System.err.printf(Locale.ROOT, "threads of %s: %.1f ms CPU (schedstat, live threads)%n", title, total / 1e6);
        byName.entrySet().stream().filter(e -> e.getValue()[0] > 0)
                .sorted((x, y) -> Long.compare(y.getValue()[0], x.getValue()[0]))
                .limit(12)
                .forEach(e -> System.err.printf(Locale.ROOT, "  %-16s %7.1f ms %7d context switches%n", e.getKey(),
                        e.getValue()[0] / 1e6, e.getValue()[1]));
    }

    private HostProcess startAgent(String impl, Host host, PgCluster db, Host peerHost, PgCluster peerDb, int priority) {
        return startAgent(impl, host, db, peerHost, peerDb, priority, true);
    }

    private HostProcess startAgent(String impl, Host host, PgCluster db, Host peerHost, PgCluster peerDb, int priority,
                                   boolean withCheck) {
        String instance = """
                vrrp_instance VI_%d {
                  state BACKUP
                  interface eth0
                  virtual_router_id %d
                  priority %d
                  version 3
                  advert_int %s
                  %s
                  virtual_ipaddress {
                    %s/24
                  }
                }
                """.formatted(VRID, VRID, priority, ADVERT_INT, withCheck ? "track_script {\n    chk_pg_primary\n  }" : "", vip);
        if (impl.equals("vigil")) {
            String conf = (withCheck ? """
                    vrrp_script chk_pg_primary {
                      pg_check {
                        role primary
                        host %s
                        port %d
                        peers %s:%d
                      }
                      interval %s
                      timeout 1
                      rise 1
                      fall 2
                    }
                    """.formatted(db.socketDir(), db.port(), peerHost.address(), peerDb.port(), vigilInterval) : "") + instance;
            List<String> argv = new ArrayList<>(List.of("java"));
            if (profileDir.isPresent()) {
                // HotSpot suspends threads for JFR's samples with SIGUSR2, which the agent takes for its statistics
                // dump (keepalived's signal): without another signal for the VM, JFR records no sample at all and
                // each attempt dumps /tmp/vigil.stats
                argv.addAll(0, List.of("env", "_JAVA_SR_SIGNUM=38"));
            }
            argv.addAll(List.of(agentJvm.trim().split("\\s+")));
            if (profileDir.isPresent()) {
                // 1 ms samples: at 1-3 % of a core the default 10-20 ms gives too few samples to rank frames
                argv.add("-XX:StartFlightRecording=settings=profile,dumponexit=true,filename="
                        + lab.workDir().resolve(host.name() + ".jfr") + ",jdk.ExecutionSample#period=1ms");
            }
            argv.addAll(List.of("-cp", classPath, "dev.vigil.agent.AgentMain", "-n", "-l", "-f",
                    write(host.name() + "-vigil", conf).toString()));
            return host.start(argv.toArray(String[]::new));
        }
        Path script = primaryScript();
        String conf = """
                global_defs {
                  script_user root
                }
                """ + (withCheck ? """
                vrrp_script chk_pg_primary {
                  script "%s %s %d"
                  interval %s
                  timeout 1
                  rise 1
                  fall 2
                }
                """.formatted(script, db.socketDir(), db.port(), keepalivedInterval) : "") + instance;
        Path file = write(host.name() + "-keepalived", conf);
        String tag = file.getFileName().toString();
        return host.start("keepalived", "-n", "-l", "-D", "-P", "-f", file.toString(),
                "-p", lab.workDir().resolve(tag + ".kpid").toString(), "-r", lab.workDir().resolve(tag + ".vpid").toString());
    }

    /** The keepalived users' usual primary check, as a small script. */
    private Path primaryScript() {
        Path f = lab.workDir().resolve("pg_is_primary.sh");
        if (!Files.exists(f)) {
            write(f, """
                    #!/bin/sh
                    # usage: pg_is_primary.sh SOCKET_DIR PORT; exit 0 on a primary
                    [ "$(%s -X -h "$1" -p "$2" -U postgres -d postgres -tAc 'select not pg_is_in_recovery()' 2>/dev/null)" = t ]
                    """.formatted(Requirements.PG_BIN.resolve("psql")));
            try {
                Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return f;
    }

    private Path write(String name, String text) {
        return write(lab.workDir().resolve(name + "-" + (++files) + ".conf"), text);
    }

    private static Path write(Path f, String text) {
        try {
            Files.writeString(f, text);
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private boolean holds(Host host) {
        return host.exec("ip", "-o", "addr", "show").stdout().contains(" " + vip + "/");
    }

    private void awaitHolds(Host host, boolean expected, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (holds(host) != expected) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("VIP " + vip + (expected ? " not on " : " still on ") + host);
            }
            sleep(50);
        }
    }

    private static long postmaster(PgCluster cluster) {
        return Long.parseLong(firstLine(read(cluster.dataDir().resolve("postmaster.pid"))).trim());
    }

    /**
     * utime + stime + cutime + cstime of {@code root} and every live descendant, in clock ticks. A child that exits
     * and is reaped moves its whole time (its own reaped children's included) into its parent's cutime/cstime, so the
     * difference between two readings is the tree's CPU over the interval, short-lived children (psql) included.
     */
    static long treeTicks(long root) {
        Map<Long, Long> parent = new HashMap<>();
        Map<Long, Long> ticks = new HashMap<>();
        try (var dirs = Files.list(Path.of("/proc"))) {
            for (Path d : (Iterable<Path>) dirs::iterator) {
                String name = d.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                Optional<String> stat = readQuietly(d.resolve("stat"));
                if (stat.isEmpty()) {
                    continue;
                }
                String[] f = stat.get().substring(stat.get().lastIndexOf(')') + 2).split(" ");
                // after the command: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
                long pid = Long.parseLong(name);
                parent.put(pid, Long.parseLong(f[1]));
                ticks.put(pid, Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long total = 0;
        for (Map.Entry<Long, Long> e : ticks.entrySet()) {
            for (long p = e.getKey(); p > 1; p = parent.getOrDefault(p, 0L)) {
                if (p == root) {
                    total += e.getValue();
                    break;
                }
            }
        }
        return total;
    }

    private static Optional<String> readQuietly(Path f) {
        try {
            return Optional.of(Files.readString(f));
        } catch (IOException | RuntimeException gone) {
            return Optional.empty();
        }
    }

    private static String read(Path f) {
        try {
            return Files.readString(f);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String exec(String... argv) {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor();
            return out;
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private static String firstLine(String s) {
        return s.lines().findFirst().orElse("").trim();
    }

    static double masterDown(int priority) {
        double i = Double.parseDouble(ADVERT_INT);
        return 3 * i + (256 - priority) * i / 256;
    }

    static List<Double> sorted(List<Double> v) {
        return v.stream().sorted().toList();
    }

    /** Linear interpolation between closest ranks of a sorted list. */
    static double quantile(List<Double> sorted, double q) {
        double pos = q * (sorted.size() - 1);
        int lo = (int) Math.floor(pos);
        int hi = (int) Math.ceil(pos);
        return sorted.get(lo) + (pos - lo) * (sorted.get(hi) - sorted.get(lo));
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
