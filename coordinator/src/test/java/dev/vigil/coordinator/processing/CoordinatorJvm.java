package dev.vigil.coordinator.processing;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.coordinator.CoordinatorMain;
import dev.vigil.coordinator.ingest.AgentTokens;
import dev.vigil.coordinator.store.StoreSettings;
import picocli.CommandLine;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The real coordinator ({@link CoordinatorMain}) as a child JVM on 127.0.0.1 against a shared
 * PostgreSQL store, with its own Ed25519 checkpoint key and directory, so a test can kill it with -9
 * and start it again. Agent {@code X} uses the token {@code token-X}; the operator {@code token-op}.
 */
final class CoordinatorJvm implements AutoCloseable {
    private final Path home;
    private final int port;
    private final StoreSettings store;
    private final Duration claimTimeout;
    private Process process;

    CoordinatorJvm(Path home, List<String> agents, StoreSettings store, Duration claimTimeout) throws Exception {
        this.home = home;
        this.store = store;
        this.claimTimeout = claimTimeout;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            this.port = s.getLocalPort();
        }
        Files.createDirectories(home);
        Map<String, Object> hashes = new TreeMap<>();
        for (String a : agents) {
            hashes.put(a, Map.of("tokenSha256", AgentTokens.sha256Hex("token-" + a)));
        }
        int rc = new CommandLine(new CoordinatorMain()).execute("gen-checkpoint-key", "--out", home.resolve("key").toString());
        if (rc != 0) {
            throw new IllegalStateException("gen-checkpoint-key: " + rc);
        }
        Files.writeString(home.resolve("coordinator.json"), new ObjectMapper().writeValueAsString(Map.of(
                "agents", hashes,
                "operators", Map.of("op", Map.of("tokenSha256", AgentTokens.sha256Hex("token-op"))),
                "checkpoints", Map.of("keyFile", home.resolve("key/checkpoint-key.pem").toString(),
                        "keyId", "coordinator-" + home.getFileName(), "dir", checkpointDir().toString(),
                        "everySeconds", 2))));
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + port);
    }

    Path checkpointDir() {
        return home.resolve("checkpoints");
    }

    Path publicKey() {
        return home.resolve("key/checkpoint-key.pub.pem");
    }

    /** This run's name in token_entry.owner (CoordinatorMain: HOST:PORT#pid). */
    String nodeId() {
        return "127.0.0.1:" + port + "#" + process.pid();
    }

    void start() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        process = new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1",
                "-Daxoniq.update-checker.disabled=true", "-Ddisable-axoniq-console-message=true",
                "-cp", classPath, CoordinatorMain.class.getName(),
                "-c", home.resolve("coordinator.json").toString(), "--listen", "127.0.0.1:" + port,
                "--db-url", store.jdbcUrl(), "--db-user", store.user(),
                "--claim-timeout-ms", Long.toString(claimTimeout.toMillis()))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(home.resolve("coordinator.log").toFile()))
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
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
        throw new IllegalStateException("coordinator did not listen within 60 s: " + log());
    }

    void kill9() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** {@code GET /v1/verify} as the operator. */
    String verify() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(url().resolve("/v1/verify"))
                .header("Authorization", "Bearer token-op").timeout(Duration.ofSeconds(120)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("verify: HTTP " + r.statusCode() + " " + r.body());
        }
        return r.body();
    }

    /** The newest signed checkpoint this instance wrote. */
    Optional<Path> latestCheckpoint() throws IOException {
        if (!Files.isDirectory(checkpointDir())) {
            return Optional.empty();
        }
        try (var files = Files.list(checkpointDir())) {
            return files.filter(f -> f.getFileName().toString().endsWith(".txt")).max(Path::compareTo);
        }
    }

    String log() {
        try {
            String all = Files.readString(home.resolve("coordinator.log"));
            return all.substring(Math.max(0, all.length() - 4000));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    @Override
    public void close() throws InterruptedException {
        kill9();
    }
}
