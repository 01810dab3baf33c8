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
 * @param coordinators ingest endpoints, tried in order; none = facts are kept in the outbox only
 * @param tokenFile    bearer token for the coordinator
 * @param adminSocket  unix socket of {@code vigilctl} ({@code /run/vigil/agent.sock})
 */
public record VigilSettings(Optional<String> agentId, String cluster, Path stateDir, List<URI> coordinators,
                            Optional<Path> tokenFile, Path adminSocket) {

    public static final VigilSettings DEFAULTS = new VigilSettings(Optional.empty(), "default",
            Path.of("/var/lib/vigil"), List.of(), Optional.empty(), Path.of("/run/vigil/agent.sock"));

    public VigilSettings {
        coordinators = List.copyOf(coordinators);
    }
}
