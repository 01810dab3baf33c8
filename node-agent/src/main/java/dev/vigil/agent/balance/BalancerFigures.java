package dev.vigil.agent.balance;

import java.util.List;

/**
 * The proxy at one instant, for metrics: per real server counters, the bytes buffered now over every connection,
 * the most one connection direction ever held, and connections refused.
 */
public record BalancerFigures(List<ServerStats> servers, long bufferedBytes, long peakConnectionBuffered, long refused) {
    public BalancerFigures {
        servers = List.copyOf(servers);
    }
}
