package dev.vigil.coordinator.store;

import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventsourcing.eventstore.jdbc.EventSchema;
import org.axonframework.eventsourcing.eventstore.jdbc.statements.AppendEventsStatementBuilder;
import org.axonframework.eventsourcing.eventstore.jdbc.statements.JdbcEventStorageEngineStatements;
import org.axonframework.eventsourcing.eventstore.jdbc.statements.TimestampWriter;
import org.axonframework.serialization.Serializer;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * PostgreSQL only: takes a transaction-scoped advisory lock before appending, so appends commit in
 * global_index order and a tracking reader never sees a gap that fills in later (research/stack.md
 * §1.7: such an event could be skipped for ever). The lock is released by commit or rollback.
 */
final class SerializedAppends implements AppendEventsStatementBuilder {
    /** An arbitrary constant naming "the event table's append lock" among advisory locks. */
    static final long APPEND_LOCK = 0x5669_6769_6C00_0001L;

    @Override
    public PreparedStatement build(Connection connection, EventSchema schema, Class<?> dataType,
                                   List<? extends EventMessage<?>> events, Serializer serializer,
                                   TimestampWriter timestampWriter) throws SQLException {
        try (Statement s = connection.createStatement()) {
            s.execute("SELECT pg_advisory_xact_lock(" + APPEND_LOCK + ")");
        }
        return JdbcEventStorageEngineStatements.appendEvents(connection, schema, dataType, events, serializer, timestampWriter);
    }
}
