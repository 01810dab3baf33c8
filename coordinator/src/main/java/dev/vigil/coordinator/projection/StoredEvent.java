package dev.vigil.coordinator.projection;

/**
 * A stored fact with where it sits: its global index (the event id the API hands out, and the
 * cursor position), its agent's stream and its position in that stream (the hash chain index).
 */
public record StoredEvent(long id, String agentId, long streamIndex, Observed observed) {
}
