package dev.vigil.agent.config;

import java.util.List;

/**
 * One {@code real_server}: where it is, its weight (0 = never chosen, as IPVS), its checkers (all must pass; none
 * means always healthy), and whether a failed server's open connections are kept ({@code inhibit_on_failure}) or
 * closed (the default: a demoted PostgreSQL primary must not keep its clients).
 */
public record RealServer(ServiceAddress address, int weight, boolean inhibitOnFailure, List<RealServerCheck> checks,
                         SourcePos at) {
    public RealServer {
        checks = List.copyOf(checks);
    }
}
