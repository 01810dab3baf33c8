package dev.vigil.coordinator;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.vigil.coordinator.ingest.AgentTokens;
import dev.vigil.coordinator.processing.ProcessorSettings;
import dev.vigil.coordinator.store.StoreSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code bin/vigil-coordinator}: with no flags, an H2 store under ./data and HTTP on 127.0.0.1:7740.
 * Flags override the JSON config file (see docs/coordinator.md).
 */
@Command(name = "vigil-coordinator", mixinStandardHelpOptions = true,
        description = "Vigil coordinator: authenticated ingest of agent facts into a hash-chained event store.",
        subcommands = {CoordinatorMain.HashToken.class, AuditCommands.Verify.class, AuditCommands.TakeCheckpoint.class,
                AuditCommands.RebuildReadModels.class,
                AuditCommands.GenerateCheckpointKey.class})
public final class CoordinatorMain implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(CoordinatorMain.class);

    @Option(names = {"-c", "--config"}, scope = CommandLine.ScopeType.INHERIT, description = "JSON config file (agents and their token hashes, database, TLS)")
    Path config;

    @Option(names = "--listen", description = "HOST:PORT to serve HTTP on (default 127.0.0.1:7740)")
    String listen;

    @Option(names = "--data-dir", scope = CommandLine.ScopeType.INHERIT, description = "directory of the embedded H2 store (default ./data)")
    Path dataDir;

    @Option(names = "--db-url", scope = CommandLine.ScopeType.INHERIT, description = "JDBC URL, e.g. jdbc:postgresql://127.0.0.1:5432/vigil (default: embedded H2)")
    String dbUrl;

    @Option(names = "--db-user", scope = CommandLine.ScopeType.INHERIT, description = "database user")
    String dbUser;

    @Option(names = "--db-password-file", scope = CommandLine.ScopeType.INHERIT, description = "file holding the database password")
    Path dbPasswordFile;

    @Option(names = "--claim-timeout-ms", description = "how long a silent instance keeps its projection segments before the others take them (default 10000)")
    Long claimTimeoutMs;

    public static void main(String[] args) {
        System.exit(new CommandLine(new CoordinatorMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        CoordinatorSettings settings = resolve();
        if (settings.tokens().size() == 0) {
            LOG.warn("no agents configured: every ingest request will get 401 (see --config)");
        }
        Coordinator coordinator = Coordinator.start(settings, Clock.systemUTC());
        LOG.info("vigil-coordinator listening on {}:{} ({}), store {}", settings.listenHost(), coordinator.port(),
                settings.tls().isPresent() ? "https" : "http", settings.store().vendor());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                SystemdReadiness.stopping();
                coordinator.close();
            } catch (Exception e) {
                LOG.warn("shutdown: {}", e.toString());
            } finally {
                stopped.countDown();
            }
        }, "vigil-shutdown"));
        // READY only once the hook is in place: a SIGTERM right after READY must still send STOPPING.
        SystemdReadiness.ready("listening on " + settings.listenHost() + ":" + coordinator.port());
        stopped.await();
        return 0;
    }

    CoordinatorSettings resolve() throws Exception {
        ConfigFile file = config == null ? ConfigFile.EMPTY : ConfigFile.read(config);
        String hostPort = listen != null ? listen : Optional.ofNullable(file.listen()).orElse("127.0.0.1:7740");
        int colon = hostPort.lastIndexOf(':');
        if (colon < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--listen: expected HOST:PORT, got " + hostPort);
        }
        String host = hostPort.substring(0, colon).replace("[", "").replace("]", "");
        int port = Integer.parseInt(hostPort.substring(colon + 1));

        ConfigFile.Database db = Optional.ofNullable(file.database()).orElse(new ConfigFile.Database(null, null, null));
        String url = dbUrl != null ? dbUrl : db.url();
        Path passwordFile = dbPasswordFile != null ? dbPasswordFile : (db.passwordFile() == null ? null : Path.of(db.passwordFile()));
        int snapshotEvery = file.snapshotEvery() == null ? 1000 : file.snapshotEvery();
        StoreSettings store;
        if (url == null) {
            Path dir = dataDir != null ? dataDir : Path.of("data");
            Files.createDirectories(dir);
            store = StoreSettings.embedded(dir).withSnapshotEvery(snapshotEvery);
        } else {
            String user = dbUser != null ? dbUser : Optional.ofNullable(db.user()).orElse("");
            String password = passwordFile == null ? "" : Files.readString(passwordFile).strip();
            store = new StoreSettings(url, user, password, 8, snapshotEvery);
        }
        Map<String, String> hashes = new LinkedHashMap<>();
        if (file.agents() != null) {
            file.agents().forEach((agent, a) -> hashes.put(agent, a.tokenSha256()));
        }
        Optional<CoordinatorSettings.TlsFiles> tls = Optional.ofNullable(file.tls())
                .map(t -> new CoordinatorSettings.TlsFiles(Path.of(t.certFile()), Path.of(t.keyFile())));
        Optional<CoordinatorSettings.CheckpointSchedule> checkpoints = Optional.ofNullable(file.checkpoints())
                .map(c -> new CoordinatorSettings.CheckpointSchedule(Path.of(c.keyFile()),
                        c.keyId() == null ? "vigil" : c.keyId(), Path.of(c.dir()),
                        java.time.Duration.ofSeconds(c.everySeconds() == null ? 300 : c.everySeconds())));
        Map<String, String> operatorHashes = new LinkedHashMap<>();
        if (file.operators() != null) {
            file.operators().forEach((name, a) -> operatorHashes.put(name, a.tokenSha256()));
        }
        ConfigFile.Processors proc = Optional.ofNullable(file.processors()).orElse(new ConfigFile.Processors(null, null));
        ProcessorSettings processors = ProcessorSettings.defaults()
                .withNodeId(hostPort + "#" + ProcessHandle.current().pid())
                .withSegments(proc.segments() == null ? ProcessorSettings.DEFAULT_SEGMENTS : proc.segments());
        Long claimMs = claimTimeoutMs != null ? claimTimeoutMs : proc.claimTimeoutMillis();
        if (claimMs != null) {
            processors = processors.withClaimTimeout(java.time.Duration.ofMillis(claimMs));
        }
        return new CoordinatorSettings(host, port, store, AgentTokens.of(hashes), tls, checkpoints,
                AgentTokens.of(operatorHashes), processors);
    }

    /** The config file; unknown keys are errors, because a typo here silently disables a setting. */
    record ConfigFile(String listen, Database database, Tls tls, Map<String, Agent> agents, Integer snapshotEvery,
                      Checkpoints checkpoints, Map<String, Agent> operators, Processors processors) {
        static final ConfigFile EMPTY = new ConfigFile(null, null, null, null, null, null, null, null);

        /** The projection processors: segments (fixed once the tokens exist), claim timeout. */
        record Processors(Integer segments, Long claimTimeoutMillis) {
        }

        record Checkpoints(String keyFile, String keyId, String dir, Integer everySeconds) {
        }

        record Database(String url, String user, String passwordFile) {
        }

        record Tls(String certFile, String keyFile) {
        }

        record Agent(String tokenSha256) {
        }

        static ConfigFile read(Path path) throws Exception {
            try {
                return JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build()
                        .readValue(path.toFile(), ConfigFile.class);
            } catch (com.fasterxml.jackson.core.JacksonException e) {
                throw new IllegalArgumentException(path + ": " + e.getOriginalMessage(), e);
            }
        }
    }

    @Command(name = "hash-token", mixinStandardHelpOptions = true,
            description = "Reads an agent token from stdin and prints the SHA-256 hex to put in the config file.")
    static final class HashToken implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            String token = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            if (token == null || token.isBlank()) {
                System.err.println("hash-token: no token on stdin");
                return 2;
            }
            System.out.println(AgentTokens.sha256Hex(token.strip()));
            return 0;
        }
    }
}
