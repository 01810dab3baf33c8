package dev.vigil.coordinator;

import dev.vigil.coordinator.ingest.AgentTokens;
import dev.vigil.coordinator.processing.ProcessorSettings;
import dev.vigil.coordinator.store.StoreSettings;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/** Everything a running coordinator needs, resolved from flags and the config file. */
public record CoordinatorSettings(String listenHost, int listenPort, StoreSettings store, AgentTokens tokens,
                                  Optional<TlsFiles> tls, Optional<CheckpointSchedule> checkpoints,
                                  AgentTokens operators, ProcessorSettings processors) {
    public CoordinatorSettings {
        Objects.requireNonNull(processors, "processors");
        Objects.requireNonNull(listenHost, "listenHost");
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(tokens, "tokens");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(checkpoints, "checkpoints");
        Objects.requireNonNull(operators, "operators");
        if (listenPort < 0 || listenPort > 65535) {
            throw new IllegalArgumentException("listen port must be 0..65535, was " + listenPort);
        }
    }

    public CoordinatorSettings(String listenHost, int listenPort, StoreSettings store, AgentTokens tokens,
                               Optional<TlsFiles> tls) {
        this(listenHost, listenPort, store, tokens, tls, Optional.empty(), AgentTokens.none());
    }

    public CoordinatorSettings(String listenHost, int listenPort, StoreSettings store, AgentTokens tokens,
                               Optional<TlsFiles> tls, Optional<CheckpointSchedule> checkpoints, AgentTokens operators) {
        this(listenHost, listenPort, store, tokens, tls, checkpoints, operators, ProcessorSettings.defaults());
    }

    public CoordinatorSettings withOperators(AgentTokens operators) {
        return new CoordinatorSettings(listenHost, listenPort, store, tokens, tls, checkpoints, operators, processors);
    }

    public CoordinatorSettings withProcessors(ProcessorSettings p) {
        return new CoordinatorSettings(listenHost, listenPort, store, tokens, tls, checkpoints, operators, p);
    }

    /** Signed checkpoints of every stream head, written to {@code dir} (outside the database) every {@code every}. */
    public record CheckpointSchedule(Path privateKey, String keyId, Path dir, java.time.Duration every) {
        public CheckpointSchedule {
            if (every.isNegative() || every.isZero()) {
                throw new IllegalArgumentException("checkpoint interval must be positive");
            }
        }
    }

    /** A PEM certificate chain and its PEM (PKCS#8) private key. */
    public record TlsFiles(Path certificate, Path privateKey) {
    }
}
