package dev.vigil.agent.check;

/** What a primary learnt from a peer database server for the split-brain guard. */
public sealed interface PeerObservation {

    PgEndpoint peer();

    record Answered(PgEndpoint peer, boolean inRecovery, long timeline, long systemIdentifier) implements PeerObservation {}

    /** Refused, timed out, or otherwise silent: never blocks (failover must not depend on a peer). */
    record Unreachable(PgEndpoint peer, String reason) implements PeerObservation {}
}
