package dev.vigil.agent.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Vigil's own {@code vigil { }} block (keepalived 2.2.7 would warn about it, so a file shared with
 * keepalived keeps it in an included file).
 *
 * @param agentId      stable id of this agent in the audit trail; empty = the daemon uses the host name
 * @param cluster      name grouping the agents of one deployment ("default")
 * @param stateDir     durable outbox and state ({@code /var/lib/vigil})
 * @param coordinators ingest endpoints (instances sharing one store): the first is used while it answers, the next after a failure; none = facts go to the log only
 * @param tokenFile    bearer token for the coordinator
 * @param adminSocket  unix socket of {@code vigilctl} ({@code /run/vigil/agent.sock})
 * @param outboxBytes  bound of the durable outbox ({@code outbox_size}, 64 MiB); when full, low-value facts are thinned
 */
public record VigilSettings(Optional<String> agentId, String cluster, Path stateDir, List<URI> coordinators,
                            Optional<Path> tokenFile, Path adminSocket, long outboxBytes) {

    public static final long DEFAULT_OUTBOX_BYTES = 64L << 20;
    /** Smaller than this, the outbox could not hold one segment of facts. */
    public static final long MIN_OUTBOX_BYTES = 64L << 10;

    public static final VigilSettings DEFAULTS = new VigilSettings(Optional.empty(), "default",
            Path.of("/var/lib/vigil"), List.of(), Optional.empty(), Path.of("/run/vigil/agent.sock"));

    public VigilSettings {
        coordinators = List.copyOf(coordinators);
    }

    public VigilSettings(Optional<String> agentId, String cluster, Path stateDir, List<URI> coordinators,
                         Optional<Path> tokenFile, Path adminSocket) {
        this(agentId, cluster, stateDir, coordinators, tokenFile, adminSocket, DEFAULT_OUTBOX_BYTES);
    }

    public VigilSettings withCoordinators(List<URI> endpoints) {
        return new VigilSettings(agentId, cluster, stateDir, endpoints, tokenFile, adminSocket, outboxBytes);
    }

    public VigilSettings withAdminSocket(Path socket) {
        return new VigilSettings(agentId, cluster, stateDir, coordinators, tokenFile, socket, outboxBytes);
    }
}
