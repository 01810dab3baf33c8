package dev.vigil.agent.balance;

/** What changed in a pool, for the log, the event stream and the proxy (which cuts a failed server's connections). */
sealed interface PoolEvent {

    /** A real server entered the pool: its checks all pass. */
    record ServerUp(int member, String server, String detail) implements PoolEvent {}

    /**
     * A real server left the pool; {@code cutConnections} unless it has {@code inhibit_on_failure}, whose open
     * connections are left to end by themselves.
     */
    record ServerDown(int member, String server, String detail, boolean cutConnections) implements PoolEvent {}

    /** The healthy weight reached {@code quorum + hysteresis}: the pool serves again. */
    record QuorumGained(int weight, int quorum) implements PoolEvent {}

    /** The healthy weight fell below {@code quorum - hysteresis}: sorry server or refuse. */
    record QuorumLost(int weight, int quorum) implements PoolEvent {}
}
