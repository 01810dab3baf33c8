package dev.vigil.coordinator.processing;

import dev.vigil.coordinator.domain.FactRecorded;
import dev.vigil.coordinator.projection.NodeFold;
import dev.vigil.coordinator.projection.NodeReadModel;
import org.axonframework.common.jdbc.ConnectionProvider;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.axonframework.messaging.unitofwork.UnitOfWork;
import org.axonframework.serialization.Serializer;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The node projection's event handler. Axon hands it one segment's batch inside one unit of work
 * and one transaction (which also stores the segment's token); the facts are collected and written
 * once per batch when it commits (NodeReadModel.apply: a few statements for the whole batch).
 *
 * <p>It takes the message, not the {@code FactRecorded}: the payload is read as stored (the engine's serializer
 * hands back its bytes, {@code SerializedMessage.serializePayload}) and decoded in one streaming pass with the
 * envelope inside it ({@link NodeReadModel#storedFact}), so Axon never deserializes it into a record whose envelope
 * string would then be parsed a second time (both were 15 % of the coordinator's samples under ingest).
 */
final class NodeProjection {
    private static final String BATCH = "vigil.node-projection.batch";

    private final NodeReadModel model;
    private final ConnectionProvider connections;
    private final Serializer serializer;

    /** {@code serializer}: the event engine's own, so that the stored bytes are handed back as they are. */
    NodeProjection(NodeReadModel model, ConnectionProvider connections, Serializer serializer) {
        this.model = model;
        this.connections = connections;
        this.serializer = serializer;
    }

    @EventHandler(payloadType = FactRecorded.class)
    void on(EventMessage<?> e) throws SQLException {
        NodeFold.Fact fact = model.storedFact(e.serializePayload(serializer, byte[].class).getData());
        UnitOfWork<?> uow = CurrentUnitOfWork.get();
        List<NodeFold.Fact> batch = uow.root().getOrComputeResource(BATCH, k -> {
            List<NodeFold.Fact> facts = new ArrayList<>();
            uow.root().onPrepareCommit(u -> flush(facts));
            return facts;
        });
        batch.add(fact);
    }

    private void flush(List<NodeFold.Fact> facts) {
        try (Connection c = connections.getConnection()) {
            model.apply(c, facts);
        } catch (SQLException ex) {
            throw new IllegalStateException("node projection: " + ex.getMessage(), ex);
        }
    }
}
