package dev.vigil.coordinator.domain;

import java.time.Instant;

/** One decoded, validated envelope in its canonical encoding, ready for the agent's stream. */
public record IncomingFact(String bootId, long seq, String factType, Instant agentTime, String canonical) {
}
