package dev.vigil.agent.check;

import java.time.Duration;
import java.util.Optional;

/**
 * What one round trip told about the checked server.
 *
 * @param readOnly          {@code transaction_read_only} of a new transaction (on for a standby, or by configuration)
 * @param timeline          the server's current timeline (primary: of its WAL insert position)
 * @param systemIdentifier  {@code pg_control_system().system_identifier}: the same for every server of one cluster
 * @param streaming         a WAL receiver is streaming ({@code pg_stat_wal_receiver.status = 'streaming'})
 * @param replayBehind      bytes received but not yet replayed (empty when nothing was received by streaming)
 * @param replayBehindTime  how long replay has been behind WAL it received ({@link ReplayLagClock}); zero when caught up
 * @param queryResult       the custom query's verdict, when one is configured and it ran
 */
public record PgObservation(boolean inRecovery, boolean readOnly, long timeline, long systemIdentifier,
                            boolean streaming, Optional<Long> replayBehind, Optional<Duration> replayBehindTime,
                            Optional<QueryResult> queryResult) {

    /** The custom query's outcome: true, false, no row, or an SQL error. */
    public sealed interface QueryResult {
        record Returned(boolean value) implements QueryResult {}

        record NoRow() implements QueryResult {}

        record Failed(String message) implements QueryResult {}
    }

    public PgObservation withQueryResult(QueryResult r) {
        return new PgObservation(inRecovery, readOnly, timeline, systemIdentifier, streaming, replayBehind,
                replayBehindTime, Optional.of(r));
    }
}
