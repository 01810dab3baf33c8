package dev.vigil.coordinator.domain;

import java.time.Instant;

/**
 * An agent fact stored in the agent's stream. {@code envelope} is the canonical JSON the chain
 * hashes; {@code chainIndex} is its position in the stream (0-based, equal to Axon's sequence
 * number); {@code previousHash} and {@code hash} link it to the fact before.
 */
public record FactRecorded(String agentId, String bootId, long seq, long chainIndex, String factType,
                           Instant agentTime, String envelope, String previousHash, String hash) {
}
