package dev.vigil.agent.report;

import dev.vigil.coordinator.store.StoreSettings;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The real coordinator ({@code dev.vigil.coordinator.CoordinatorMain}, embedded H2 store, or a
 * shared PostgreSQL store for several instances) as a child JVM on 127.0.0.1, so a test can kill it
 * with -9 and start it again on the same store.
 * Agent {@code X} authenticates with the token {@code token-X}; the operator with {@code token-op}.
 */
final class CoordinatorProcess implements AutoCloseable {
    private final Path home;
    private final int port;
    private final List<String> agents;
    private final boolean quickStart;
    private final Optional<StoreSettings> shared;
    private final Optional<java.time.Duration> claimTimeout;
    private Process process;

    CoordinatorProcess(Path home, List<String> agents) throws IOException {
        this(home, agents, true);
    }

    /** {@code quickStart}: C1 only, for tests that restart it often; false for figures. */
    CoordinatorProcess(Path home, List<String> agents, boolean quickStart) throws IOException {
        this(home, agents, quickStart, Optional.empty(), Optional.empty());
    }

    /** An instance on a store that other instances share (PostgreSQL): read directly, without stopping it. */
    CoordinatorProcess(Path home, List<String> agents, StoreSettings shared) throws IOException {
        this(home, agents, true, Optional.of(shared), Optional.empty());
    }

    /** As above, with {@code --claim-timeout-ms}: how soon the others take a silent instance's segments. */
    CoordinatorProcess(Path home, List<String> agents, StoreSettings shared, java.time.Duration claimTimeout)
            throws IOException {
        this(home, agents, true, Optional.of(shared), Optional.of(claimTimeout));
    }

    private CoordinatorProcess(Path home, List<String> agents, boolean quickStart, Optional<StoreSettings> shared,
                               Optional<java.time.Duration> claimTimeout) throws IOException {
        this.shared = shared;
        this.claimTimeout = claimTimeout;
        this.home = home;
        this.quickStart = quickStart;
        this.agents = agents;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            this.port = s.getLocalPort();
        }
        Files.createDirectories(home.resolve("data"));
        Map<String, Object> agentHashes = new TreeMap<>();
        for (String a : agents) {
            agentHashes.put(a, Map.of("tokenSha256", sha256("token-" + a)));
            Files.writeString(tokenFile(a), "token-" + a + "\n");
        }
        String config = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(Map.of(
                "agents", agentHashes, "operators", Map.of("op", Map.of("tokenSha256", sha256("token-op")))));
        Files.writeString(home.resolve("coordinator.json"), config);
    }

    Path tokenFile(String agent) {
        return home.resolve(agent + ".token");
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** This run's name in token_entry.owner (CoordinatorMain: HOST:PORT#pid). */
    String nodeId() {
        return "127.0.0.1:" + port + "#" + process.pid();
    }

    /** Starts the coordinator and waits until it accepts connections. */
    void start() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx256m",
                quickStart ? "-XX:TieredStopAtLevel=1" : "-XX:+TieredCompilation",
                "-Daxoniq.update-checker.disabled=true", "-Ddisable-axoniq-console-message=true",
                "-cp", System.getProperty("java.class.path"), "dev.vigil.coordinator.CoordinatorMain",
                "-c", home.resolve("coordinator.json").toString(), "--listen", "127.0.0.1:" + port,
                "--db-url", store().jdbcUrl(), "--db-user", store().user()));
        claimTimeout.ifPresent(t -> command.addAll(List.of("--claim-timeout-ms", Long.toString(t.toMillis()))));
        process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(home.resolve("coordinator.log").toFile()))
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("coordinator exited " + process.exitValue() + ": " + log());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("coordinator did not listen within 40 s: " + log());
    }

    /** SIGKILL: no shutdown hook, no graceful close of the store. */
    void kill9() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** SIGTERM and wait (the embedded store is then free for a direct look). */
    void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    boolean running() {
        return process != null && process.isAlive();
    }

    /** {@code GET /v1/verify} as the operator: the chain check over every agent's stream. */
    String verify() throws Exception {
        return operatorGet("/v1/verify");
    }

    /** {@code GET /v1/nodes/{agentId}/status} as the operator: the node read model's view of one agent. */
    String nodeStatus(String agent) throws Exception {
        return operatorGet("/v1/nodes/" + agent + "/status");
    }

    private String operatorGet(String path) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(url().resolve(path))
                .header("Authorization", "Bearer token-op").build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException(path + ": HTTP " + r.statusCode() + " " + r.body());
        }
        return r.body();
    }

    /** One stored fact as the store's dedupe table has it, in stream order. */
    record Row(String bootId, long seq, String factType) {
    }

    /** Stops the coordinator, reads an agent's stored facts straight from its database, starts it again. */
    List<Row> storedFacts(String agent) throws Exception {
        boolean wasRunning = running() && shared.isEmpty();
        if (wasRunning) {
            stop();
        }
        List<Row> rows = new ArrayList<>();
        StoreSettings store = store();
        try (Connection c = DriverManager.getConnection(store.jdbcUrl(), store.user(), store.password());
             PreparedStatement q = c.prepareStatement(
                     "SELECT boot_id, seq, fact_type FROM ingested_fact WHERE agent_id = ? ORDER BY stream_index")) {
            q.setString(1, agent);
            try (ResultSet r = q.executeQuery()) {
                while (r.next()) {
                    rows.add(new Row(r.getString(1), r.getLong(2), r.getString(3)));
                }
            }
        }
        if (wasRunning) {
            start();
        }
        return rows;
    }

    /** The shared store, or the embedded one (whose URL turns H2's write delay off: see StoreSettings). */
    private StoreSettings store() {
        if (shared.isPresent()) {
            return shared.get();
        }
        return StoreSettings.embedded(home.resolve("data"));
    }

    String log() {
        try {
            String all = Files.readString(home.resolve("coordinator.log"));
            return all.substring(Math.max(0, all.length() - 3000));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
