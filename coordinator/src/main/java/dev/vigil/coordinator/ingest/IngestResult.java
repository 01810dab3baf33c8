package dev.vigil.coordinator.ingest;

import dev.vigil.coordinator.domain.IngestOutcome;

/** What {@code POST /v1/events} answers; each case maps to one HTTP status. */
public sealed interface IngestResult {
    /** 200: the batch was applied (some facts may have been duplicates or deferred). */
    record Applied(String agentId, IngestOutcome outcome) implements IngestResult {
    }

    /** 400: nothing of the batch was stored; {@code field} is the first bad one. */
    record Malformed(String field, String problem) implements IngestResult {
    }

    /** 403: the token's agent tried to write another agent's facts; nothing was stored. */
    record Forbidden(String field, String problem) implements IngestResult {
    }
}
