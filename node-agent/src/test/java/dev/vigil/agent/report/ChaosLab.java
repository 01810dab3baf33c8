package dev.vigil.agent.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.lab.Capture;
import dev.vigil.lab.Host;
import dev.vigil.lab.HostProcess;
import dev.vigil.lab.NetLab;
import dev.vigil.lab.PgCluster;
import dev.vigil.lab.PgLab;
import dev.vigil.lab.Segment;
import dev.vigil.model.AgentFact;
import dev.vigil.model.EnvelopeCodec;
import dev.vigil.model.EventEnvelope;
import dev.vigil.model.RouterState;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Test support for {@link ReportingChaosIT}: three agents (real processes, {@code vigil-agent}) on a VRRP segment
 * and a management segment, the coordinator (real process) and its PostgreSQL (PgLab) on a host of the management
 * segment only, a capture of the VRRP segment, tracker files that move the VIP, and the three views compared at
 * the end: the store, the agents' own outboxes and logs, and the wire.
 */
final class ChaosLab {
    static final double INTERVAL = 0.2;
    static final int VRID = 51;
    /** Extra time on top of a protocol bound for scheduling on the shared, loaded machine (as in the daemon ITs). */
    static final double SLACK_SECONDS = 0.25;
    private static final Map<String, Integer> BASE = Map.of("a", 150, "b", 100, "c", 50);
    private static final int PORT = 7740;
    private static final EnvelopeCodec CODEC = EnvelopeCodec.standard();
    private static final ObjectMapper JSON = new ObjectMapper();

    final NetLab lab;
    final PgLab pg;
    final Segment vrrp;
    final Segment mgmt;
    final Host m;
    final List<Host> agents;
    final String vip;
    final Capture wire;
    final PgCluster store;
    private final Path work;
    private final Map<String, Path> configs = new LinkedHashMap<>();
    /** Every process each agent ran, in order; their logs are the agents' own account. */
    final Map<String, List<HostProcess>> runs = new LinkedHashMap<>();
    /** What each agent's outbox held on disk, by agent, boot, seq: accumulated over the run (trimmed files vanish). */
    private final Map<String, Map<String, TreeMap<Long, AgentFact>>> onDisk = new TreeMap<>();
    private HostProcess coordinator;
    private int coordinatorRuns;

    ChaosLab(NetLab lab, PgLab pg, String outboxSize) throws IOException {
        this.lab = lab;
        this.pg = pg;
        this.work = lab.workDir();
        this.thinning = !outboxSize.isEmpty();
        vrrp = lab.segment("vrrp");
        mgmt = lab.segment("mgmt", true); // the test JVM reads /v1/verify from the root namespace
        Host a = lab.host("a", vrrp, mgmt);
        Host b = lab.host("b", vrrp, mgmt);
        Host c = lab.host("c", vrrp, mgmt);
        m = lab.host("m", mgmt);
        agents = List.of(a, b, c);
        vip = vrrp.ip4(100);
        wire = lab.capture(vrrp);
        store = pg.cluster("store", m);
        writeCoordinatorConfig();
        for (Host h : agents) {
            Files.writeString(work.resolve(h.name() + ".token"), "token-" + h.name() + "\n");
            Files.writeString(trackFile(h), "0\n");
            configs.put(h.name(), AgentLabConfig.write(work, h.name(), agentConfig(h, outboxSize)));
            runs.put(h.name(), new ArrayList<>());
        }
    }

    // ---- processes ------------------------------------------------------------------------------

    void startCoordinator() {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        coordinator = m.start(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-Daxoniq.update-checker.disabled=true",
                "-Ddisable-axoniq-console-message=true", "-cp", System.getProperty("java.class.path"),
                "dev.vigil.coordinator.CoordinatorMain", "-c", work.resolve("coordinator.json").toString(),
                "--listen", m.address(mgmt) + ":" + PORT, "--db-url", store.jdbcUrl(), "--db-user", "postgres");
        coordinatorRuns++;
        coordinator.awaitLog("vigil-coordinator listening on", Duration.ofSeconds(60));
    }

    /** kill -9: no shutdown hook, requests in flight die with it. */
    void killCoordinator() {
        coordinator.kill();
    }

    /** Starts an agent and waits for its first state ({@code MASTER} or {@code BACKUP}). */
    HostProcess startAgent(Host h, String awaited) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        HostProcess p = h.start(java, "-Xms24m", "-Xmx48m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-XX:+ExitOnOutOfMemoryError", "-cp", AgentLabConfig.classPath(), "dev.vigil.agent.AgentMain",
                "-n", "-l", "-f", configs.get(h.name()).toString(), "--admin-socket", adminSocket(h).toString());
        runs.get(h.name()).add(p);
        p.awaitLog("(VI_" + VRID + ") Entering " + awaited + " STATE", Duration.ofSeconds(40));
        return p;
    }

    /** A small outbox: thinned facts are never acknowledged, so they stay pending in the status by design. */
    private final boolean thinning;

    /** Each agent's own admin socket: the hosts share one file system. */
    Path adminSocket(Host h) {
        return work.resolve(h.name() + "-admin.sock");
    }

    /**
     * {@code vigilctl status} of each running agent, once the store has everything: the coordinator link shows every
     * fact of this run acknowledged (issue 11: status grows the outbox and coordinator link).
     */
    void assertEveryAgentsStatusShowsNothingPending() {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (Host h : agents) {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                Process p = new ProcessBuilder(javaBin, "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp", AgentLabConfig.classPath(),
                        "dev.vigil.agent.control.AdminCommand", "status", "--socket", adminSocket(h).toString())
                        .redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
                assertThat(out).as("%s: vigilctl status", h.name())
                        .containsPattern("coordinator http://\\S+: \\d+ recorded, \\d+ acknowledged, 0 pending, last ack 20");
            });
        }
    }

    HostProcess agent(Host h) {
        List<HostProcess> r = runs.get(h.name());
        return r.get(r.size() - 1);
    }

    /** kill -9 of the agent alone (host and link stay up); what its outbox holds is noted before anything else runs. */
    void killAgent(Host h) {
        agent(h).kill();
        scanOutbox(h);
    }

    /** A master's kills, whose takeovers are checked on the wire at the end. */
    private record Kill(Host master, double at) {
    }

    private final List<Kill> masterKills = new ArrayList<>();

    /** Kills the master's agent with -9 and waits until another agent alone holds the VIP. */
    void killMasterAgent(Host master) {
        assertThat(holds(master, vip)).as("%s holds the VIP before its kill", master.name()).isTrue();
        masterKills.add(new Kill(master, nowEpoch()));
        killAgent(master);
        // a crashed agent's VIP lingers on its host; the successor adds it on its own
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() ->
                agents.stream().filter(x -> !x.equals(master)).anyMatch(x -> holds(x, vip)));
    }

    /** a master, b and c backups, all shipping to the coordinator. */
    void startAll() {
        startCoordinator();
        startAgent(agents.get(0), "MASTER");
        startAgent(agents.get(1), "BACKUP");
        startAgent(agents.get(2), "BACKUP");
        awaitHolder(agents.get(0));
    }

    // ---- driving transitions --------------------------------------------------------------------

    Path trackFile(Host h) {
        return work.resolve(h.name() + ".track");
    }

    /**
     * Makes {@code h} the master through the tracker files (a has the highest base priority; b and c get +120),
     * and waits until it alone holds the VIP. Moves always go through a, so that one master hands over to one
     * successor (never a three-way race), and each mastership lasts long enough to be told apart on the wire.
     */
    void moveTo(Host h) throws IOException {
        for (Host x : agents) {
            Files.writeString(trackFile(x), (x.equals(h) && !x.name().equals("a") ? "120" : "0") + "\n");
        }
        awaitHolder(h);
        sleep(1200);
    }

    void awaitHolder(Host h) {
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50)).until(() ->
                agents.stream().allMatch(x -> holds(x, vip) == x.equals(h)));
    }

    /** Moves the VIP c, a, b, a, ... {@code count} times, then back to a. */
    void moves(int count) throws IOException {
        for (int i = 0; i < count; i++) {
            moveTo(i % 2 == 1 ? agents.get(0) : agents.get(i % 4 == 0 ? 2 : 1));
        }
        moveTo(agents.get(0));
    }

    static boolean holds(Host host, String address) {
        return host.exec("ip", "-o", "addr", "show").orThrow().stdout().contains(" " + address + "/");
    }

    // ---- the three views ------------------------------------------------------------------------

    /** One fact as the coordinator stored it, in its agent's stream order. */
    record Stored(String agentId, String bootId, long seq, AgentFact fact) {
    }

    /** The agents' streams as stored in PostgreSQL (Axon's event table: the record itself). */
    List<Stored> stored() throws Exception {
        List<Stored> out = new ArrayList<>();
        try (Connection c = store.connect(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT convert_from(payload, 'UTF8') FROM domain_event_entry "
                     + "WHERE payload_type LIKE '%FactRecorded' ORDER BY aggregate_identifier, sequence_number")) {
            while (r.next()) {
                JsonNode n = JSON.readTree(r.getString(1));
                EventEnvelope e = CODEC.decode(n.path("envelope").asText());
                out.add(new Stored(n.path("agentId").asText(), n.path("bootId").asText(), n.path("seq").asLong(), e.fact()));
            }
        }
        return out;
    }

    /** Reads every outbox segment of the agent (read-only; a record being written ends the scan of its file). */
    void scanOutbox(Host h) {
        Map<String, TreeMap<Long, AgentFact>> boots = onDisk.computeIfAbsent(h.name(), k -> new TreeMap<>());
        Path dir = work.resolve(h.name() + "-state").resolve("outbox");
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".seg")).sorted().toList()) {
                byte[] bytes;
                try {
                    bytes = Files.readAllBytes(f);
                } catch (java.nio.file.NoSuchFileException trimmed) {
                    continue;
                }
                for (RecordFrame.Located l : RecordFrame.scan(bytes, bytes.length).records()) {
                    EventEnvelope e = CODEC.decode(new String(l.frame().json(), StandardCharsets.UTF_8));
                    boots.computeIfAbsent(l.frame().bootId(), k -> new TreeMap<>()).put(l.frame().seq(), e.fact());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (dev.vigil.model.MalformedEnvelopeException e) {
            throw new AssertionError("the agent's own outbox holds a record it cannot read: " + e.getMessage(), e);
        }
    }

    /** Waits until every fact durable in every outbox is in the store (the agents keep running). */
    void awaitEverythingShipped(Duration timeout) {
        await().atMost(timeout).pollInterval(Duration.ofMillis(500)).until(() -> {
            agents.forEach(this::scanOutbox);
            Map<String, Long> heads = new TreeMap<>();
            for (Stored s : stored()) {
                heads.merge(s.agentId() + "/" + s.bootId(), s.seq(), Math::max);
            }
            return onDisk.entrySet().stream().allMatch(agent -> agent.getValue().entrySet().stream().allMatch(boot ->
                    heads.getOrDefault(agent.getKey() + "/" + boot.getKey(), 0L) >= boot.getValue().lastKey()));
        });
    }

    /**
     * The end of every scenario: the store holds every agent's every boot as seqs 1..n, none twice, in order, each
     * fact equal to what the agent wrote in its outbox; the state changes stored match the agent's log and the
     * masterships seen on the wire; the coordinator's hash chains verify.
     */
    void assertStoreMatchesAgentsAndWire() throws Exception {
        awaitEverythingShipped(Duration.ofSeconds(60));
        if (!thinning) {
            assertEveryAgentsStatusShowsNothingPending();
        }
        List<Stored> stored = stored();
        if (wire.isRunning()) {
            wire.stop();
        }
        Map<String, List<Stored>> byAgent = new TreeMap<>();
        stored.forEach(s -> byAgent.computeIfAbsent(s.agentId(), k -> new ArrayList<>()).add(s));
        assertThat(byAgent.keySet()).containsExactly("a", "b", "c");
        for (Host h : agents) {
            List<Stored> mine = byAgent.get(h.name());
            Map<String, List<Stored>> byBoot = new LinkedHashMap<>();
            mine.forEach(s -> byBoot.computeIfAbsent(s.bootId(), k -> new ArrayList<>()).add(s));
            assertThat(byBoot).as("boots of %s in the store", h.name()).hasSize(runs.get(h.name()).size());
            for (Map.Entry<String, List<Stored>> boot : byBoot.entrySet()) {
                List<Long> seqs = boot.getValue().stream().map(Stored::seq).toList();
                assertThat(seqs).as("%s boot %s: seqs in stream order", h.name(), boot.getKey())
                        .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, seqs.size()).boxed().toList());
                TreeMap<Long, AgentFact> disk = onDisk.get(h.name()).getOrDefault(boot.getKey(), new TreeMap<>());
                for (Stored s : boot.getValue()) {
                    if (disk.containsKey(s.seq())) {
                        assertThat(s.fact()).as("%s %s/%d stored vs outbox", h.name(), s.bootId(), s.seq())
                                .isEqualTo(disk.get(s.seq()));
                    }
                }
                assertThat(disk).as("%s boot %s: outbox records seen", h.name(), boot.getKey()).isNotEmpty();
                assertThat((long) seqs.size()).as("%s boot %s: everything durable stored", h.name(), boot.getKey())
                        .isGreaterThanOrEqualTo(disk.lastKey());
            }
            // the agent's own log (every run) against the store
            String logs = String.join("\n", runs.get(h.name()).stream().map(HostProcess::log).toList());
            for (RouterState state : List.of(RouterState.MASTER, RouterState.BACKUP, RouterState.FAULT)) {
                long logged = logs.lines().filter(l -> l.contains("(VI_" + VRID + ") Entering " + state + " STATE")).count();
                assertThat(entered(mine, state)).as("%s: %s transitions stored vs its log", h.name(), state).isEqualTo(logged);
            }
            // the wire against the store: each stretch of adverts from the agent is one mastership
            assertThat(entered(mine, RouterState.MASTER)).as("%s: masterships stored vs on the wire", h.name())
                    .isEqualTo(masterships(h));
            assertThat(entered(mine, RouterState.MASTER)).as("%s: masterships", h.name()).isPositive();
            System.out.printf("chaos: agent %s: %d boots, %d facts stored, %d masterships (store = log = wire)%n",
                    h.name(), byBoot.size(), mine.size(), entered(mine, RouterState.MASTER));
        }
        for (Kill k : masterKills) {
            System.out.printf("chaos: takeover after %s's agent was killed: %.3f s on the wire%n", k.master().name(),
                    assertTakeoverInProtocolTime(k.master(), k.at()));
        }
        assertThat(verify()).contains("\"intact\":true");
    }

    static long entered(List<Stored> facts, RouterState state) {
        return facts.stream().filter(s -> s.fact() instanceof AgentFact.RouterStateChanged c && c.to() == state).count();
    }

    /** One advert seen on the VRRP segment. */
    record Advert(double time, String source, int priority) {
    }

    List<Advert> adverts() {
        List<Advert> out = new ArrayList<>();
        for (List<String> row : wire.rows("vrrp && vrrp.virt_rtr_id == " + VRID, "frame.time_epoch", "ip.src", "vrrp.prio")) {
            out.add(new Advert(Double.parseDouble(row.get(0)), row.get(1), Integer.parseInt(row.get(2))));
        }
        return out;
    }

    /** Stretches of adverts (priority above 0) from the host, split where it fell silent for over 1 s. */
    long masterships(Host h) {
        long n = 0;
        double last = Double.NEGATIVE_INFINITY;
        for (Advert a : adverts()) {
            if (a.source().equals(h.address(vrrp)) && a.priority() > 0) {
                if (a.time() - last > 1.0) {
                    n++;
                }
                last = a.time();
            }
        }
        return n;
    }

    /**
     * The takeover seen on the wire after the master's agent was killed at {@code killedAt} (epoch seconds): from
     * its last advert to the first advert of anyone else, within Master_Down_Interval of the successor's priority
     * (RFC 5798), one interval and slack. Returns the gap in seconds.
     */
    double assertTakeoverInProtocolTime(Host master, double killedAt) {
        List<Advert> all = adverts();
        String addr = master.address(vrrp);
        double dead = all.stream().filter(a -> a.source().equals(addr) && a.time() <= killedAt + 0.05)
                .mapToDouble(Advert::time).max().orElseThrow(() -> new AssertionError("no advert of the master before the kill"));
        Advert first = all.stream().filter(a -> !a.source().equals(addr) && a.time() > dead && a.priority() > 0)
                .findFirst().orElseThrow(() -> new AssertionError("nobody took over"));
        double bound = 3 * INTERVAL + (256 - first.priority()) * INTERVAL / 256;
        double gap = first.time() - dead;
        assertThat(gap).as("takeover after the master's last advert (Master_Down_Interval %.3f s)", bound)
                .isGreaterThan(bound - INTERVAL).isLessThan(bound + INTERVAL + SLACK_SECONDS);
        return gap;
    }

    static double nowEpoch() {
        return System.currentTimeMillis() / 1000.0;
    }

    String verify() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://" + m.address(mgmt) + ":" + PORT + "/v1/verify"))
                .header("Authorization", "Bearer token-op").timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("verify: %s", r.body()).isEqualTo(200);
        return r.body();
    }

    int coordinatorRuns() {
        return coordinatorRuns;
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    // ---- configuration --------------------------------------------------------------------------

    private String agentConfig(Host h, String outboxSize) {
        return """
                vigil {
                  agent_id %1$s
                  cluster chaos
                  state_dir %2$s
                  coordinator http://%3$s:%4$d
                  token_file %5$s
                  %6$s
                }
                vrrp_track_file move_%1$s {
                  file %7$s
                  weight 1
                }
                vrrp_instance VI_%8$d {
                  state BACKUP
                  interface eth0
                  virtual_router_id %8$d
                  priority %9$d
                  version 3
                  advert_int %10$s
                  track_file {
                    move_%1$s
                  }
                  virtual_ipaddress {
                    %11$s/24
                  }
                }
                """.formatted(h.name(), work.resolve(h.name() + "-state"), m.address(mgmt), PORT,
                work.resolve(h.name() + ".token"), outboxSize.isEmpty() ? "" : "outbox_size " + outboxSize,
                trackFile(h), VRID, BASE.get(h.name()), INTERVAL, vip);
    }

    private void writeCoordinatorConfig() throws IOException {
        Map<String, Object> hashes = new TreeMap<>();
        for (String a : List.of("a", "b", "c")) {
            hashes.put(a, Map.of("tokenSha256", CoordinatorProcess.sha256("token-" + a)));
        }
        Files.writeString(work.resolve("coordinator.json"), JSON.writeValueAsString(Map.of("agents", hashes,
                "operators", Map.of("op", Map.of("tokenSha256", CoordinatorProcess.sha256("token-op"))))));
    }

    /** Agent class path and config files, as the daemon ITs do it. */
    static final class AgentLabConfig {
        private AgentLabConfig() {
        }

        static String classPath() {
            Path jar = Path.of("target", "node-agent.jar").toAbsolutePath();
            Path lib = Path.of("target", "lib").toAbsolutePath();
            if (Files.exists(jar) && Files.isDirectory(lib)) {
                return jar + ":" + lib + "/*";
            }
            return System.getProperty("java.class.path");
        }

        static Path write(Path work, String name, String text) throws IOException {
            Path f = work.resolve(name + ".conf");
            Files.writeString(f, text);
            return f;
        }
    }
}
