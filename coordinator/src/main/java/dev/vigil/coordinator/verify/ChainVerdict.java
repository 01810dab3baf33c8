package dev.vigil.coordinator.verify;

import java.util.Optional;

/** One agent's stream after verification: how long, its head hash, and the first break if any. */
public record ChainVerdict(String agentId, long length, String headHash, Optional<ChainBreak> firstBreak) {
    public boolean intact() {
        return firstBreak.isEmpty();
    }
}
