package dev.vigil.coordinator.processing;

import dev.vigil.coordinator.domain.FactRecorded;
import dev.vigil.coordinator.projection.NodeFold;
import dev.vigil.coordinator.projection.NodeReadModel;
import org.axonframework.common.jdbc.ConnectionProvider;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.axonframework.messaging.unitofwork.UnitOfWork;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The node projection's event handler. Axon hands it one segment's batch inside one unit of work
 * and one transaction (which also stores the segment's token); the facts are collected and written
 * once per agent when the batch commits, not row by row per fact.
 */
final class NodeProjection {
    private static final String BATCH = "vigil.node-projection.batch";

    private final NodeReadModel model;
    private final ConnectionProvider connections;

    NodeProjection(NodeReadModel model, ConnectionProvider connections) {
        this.model = model;
        this.connections = connections;
    }

    @EventHandler
    void on(FactRecorded e) throws SQLException {
        NodeFold.Fact fact = model.fact(e.agentId(), e.chainIndex(), e.hash(), e.envelope());
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
