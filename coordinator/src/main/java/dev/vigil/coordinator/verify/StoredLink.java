package dev.vigil.coordinator.verify;

/** One row of an agent's stream as stored: Axon's sequence number and the raw FactRecorded payload. */
public record StoredLink(long sequenceNumber, byte[] payload) {
}
