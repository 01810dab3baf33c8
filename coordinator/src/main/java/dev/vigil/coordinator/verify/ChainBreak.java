package dev.vigil.coordinator.verify;

/** The first place an agent's stream stops being the one that was written. {@code position} is 0-based. */
public record ChainBreak(long position, Kind kind, String detail) {
    public enum Kind {
        /** The event at the position is not what was hashed (content edited). */
        ALTERED,
        /** An event is missing at or before the position. */
        REMOVED,
        /** Events are present but out of their written order. */
        REORDERED,
        /** The stream is shorter than a signed checkpoint says it was. */
        TRUNCATED,
        /** The stream is self-consistent but differs from a signed checkpoint: rewritten with recomputed hashes. */
        REWRITTEN
    }

    @Override
    public String toString() {
        return kind + " at position " + position + ": " + detail;
    }
}
