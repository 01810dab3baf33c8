package dev.vigil.coordinator.projection;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.coordinator.projection.NodeFold.Node;
import dev.vigil.coordinator.projection.NodeFold.RouterId;
import dev.vigil.coordinator.projection.NodeFold.RouterLast;
import dev.vigil.coordinator.projection.NodeFold.TrackerLast;
import dev.vigil.model.EnvelopeCodec;
import dev.vigil.model.MalformedEnvelopeException;

import javax.sql.DataSource;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The node read model's tables ({@code rm_node}, {@code rm_node_router}, {@code rm_node_tracker}, V7):
 * {@link NodeFold} applied to a batch on the caller's connection (the processor's transaction, which
 * also stores its token), read back for queries, and rebuilt from the event stream for comparison.
 */
public final class NodeReadModel {
    private static final String NODE = "SELECT boot_id, booted_at, last_seq, last_seen, last_fact_type, chain_length,"
            + " chain_head FROM rm_node WHERE agent_id = ?";
    private static final String ROUTERS = "SELECT router, vrid, family, state, since FROM rm_node_router WHERE agent_id = ?";
    private static final String TRACKERS = "SELECT tracker, kind, healthy, since FROM rm_node_tracker WHERE agent_id = ?";
    private static final String AGENTS = "SELECT agent_id FROM rm_node ORDER BY agent_id";
    private static final String UPDATE_NODE = "UPDATE rm_node SET boot_id = ?, booted_at = ?, last_seq = ?, last_seen = ?,"
            + " last_fact_type = ?, chain_length = ?, chain_head = ? WHERE agent_id = ?";
    private static final String INSERT_NODE = "INSERT INTO rm_node (boot_id, booted_at, last_seq, last_seen, last_fact_type,"
            + " chain_length, chain_head, agent_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String DELETE_ROUTERS = "DELETE FROM rm_node_router WHERE agent_id = ?";
    private static final String DELETE_TRACKERS = "DELETE FROM rm_node_tracker WHERE agent_id = ?";
    private static final String INSERT_ROUTER = "INSERT INTO rm_node_router (agent_id, router, vrid, family, state, since)"
            + " VALUES (?, ?, ?, ?, ?, ?)";
    private static final String INSERT_TRACKER = "INSERT INTO rm_node_tracker (agent_id, tracker, kind, healthy, since)"
            + " VALUES (?, ?, ?, ?, ?)";
    private static final String STREAM = "SELECT payload FROM domain_event_entry WHERE payload_type = ?"
            + " ORDER BY aggregate_identifier, sequence_number";
    private static final String FACT_RECORDED = "dev.vigil.coordinator.domain.FactRecorded";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final EnvelopeCodec codec;

    public NodeReadModel(EnvelopeCodec codec) {
        this.codec = codec;
    }

    /** A stored fact as the fold's input (its envelope decoded, upcast by the codec). */
    public NodeFold.Fact fact(String agentId, long chainIndex, String hash, String envelope) throws SQLException {
        try {
            return new NodeFold.Fact(agentId, chainIndex, hash, codec.decode(envelope));
        } catch (MalformedEnvelopeException e) {
            throw new UndecodableStoredFact(e);
        }
    }

    /** Folds a batch (each agent's facts in stream order) into the tables, on {@code c}, in the caller's transaction. */
    public void apply(Connection c, List<NodeFold.Fact> facts) throws SQLException {
        Map<String, List<NodeFold.Fact>> byAgent = new LinkedHashMap<>();
        for (NodeFold.Fact f : facts) {
            byAgent.computeIfAbsent(f.agentId(), a -> new ArrayList<>()).add(f);
        }
        for (Map.Entry<String, List<NodeFold.Fact>> agent : byAgent.entrySet()) {
            Optional<Node> before = load(c, agent.getKey());
            Optional<Node> after = before;
            for (NodeFold.Fact f : agent.getValue()) {
                after = Optional.of(NodeFold.apply(after, f));
            }
            if (!after.equals(before)) {
                write(c, before.isPresent(), after.get());
            }
        }
    }

    /** One node, as the tables hold it. */
    public Optional<Node> node(DataSource ds, String agentId) throws SQLException {
        try (Connection c = ds.getConnection()) {
            return load(c, agentId);
        }
    }

    /** Every node, by agent id. */
    public Map<String, Node> all(DataSource ds) throws SQLException {
        Map<String, Node> out = new TreeMap<>();
        try (Connection c = ds.getConnection()) {
            List<String> agents = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(AGENTS); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    agents.add(rs.getString(1));
                }
            }
            for (String a : agents) {
                load(c, a).ifPresent(n -> out.put(a, n));
            }
        }
        return out;
    }

    /** The whole model folded again from the event stream, without touching the tables (what a rebuild would write). */
    public Map<String, Node> fromStream(DataSource ds) throws SQLException {
        Map<String, Node> out = new HashMap<>();
        try (Connection c = ds.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(STREAM)) {
                ps.setString(1, FACT_RECORDED);
                ps.setFetchSize(1000);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        JsonNode p = JSON.readTree(rs.getBytes(1));
                        NodeFold.Fact f = fact(p.get("agentId").asText(), p.get("chainIndex").asLong(),
                                p.get("hash").asText(), p.get("envelope").asText());
                        out.put(f.agentId(), NodeFold.apply(Optional.ofNullable(out.get(f.agentId())), f));
                    }
                }
            } catch (IOException e) {
                throw new UndecodableStoredFact(e);
            } finally {
                c.rollback();
                c.setAutoCommit(autoCommit);
            }
        }
        return new TreeMap<>(out);
    }

    private static Optional<Node> load(Connection c, String agentId) throws SQLException {
        Map<RouterId, RouterLast> routers = new TreeMap<>();
        try (PreparedStatement ps = c.prepareStatement(ROUTERS)) {
            ps.setString(1, agentId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    routers.put(new RouterId(rs.getString(1), rs.getInt(2), rs.getString(3)),
                            new RouterLast(rs.getString(4), instant(rs, 5)));
                }
            }
        }
        Map<String, TrackerLast> trackers = new TreeMap<>();
        try (PreparedStatement ps = c.prepareStatement(TRACKERS)) {
            ps.setString(1, agentId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    trackers.put(rs.getString(1), new TrackerLast(rs.getString(2), rs.getBoolean(3), instant(rs, 4)));
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement(NODE)) {
            ps.setString(1, agentId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new Node(agentId, rs.getString(1), instant(rs, 2), rs.getLong(3), instant(rs, 4),
                        rs.getString(5), rs.getLong(6), rs.getString(7).strip(), routers, trackers));
            }
        }
    }

    private static void write(Connection c, boolean exists, Node n) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(exists ? UPDATE_NODE : INSERT_NODE)) {
            ps.setString(1, n.bootId());
            ps.setObject(2, time(n.bootedAt()));
            ps.setLong(3, n.lastSeq());
            ps.setObject(4, time(n.lastSeen()));
            ps.setString(5, n.lastFactType());
            ps.setLong(6, n.chainLength());
            ps.setString(7, n.chainHead());
            ps.setString(8, n.agentId());
            if (ps.executeUpdate() != 1) {
                throw new SQLException("rm_node: an update or insert touched no row");
            }
        }
        for (String delete : List.of(DELETE_ROUTERS, DELETE_TRACKERS)) {
            try (PreparedStatement ps = c.prepareStatement(delete)) {
                ps.setString(1, n.agentId());
                ps.executeUpdate();
            }
        }
        if (!n.routers().isEmpty()) {
            try (PreparedStatement ps = c.prepareStatement(INSERT_ROUTER)) {
                for (Map.Entry<RouterId, RouterLast> r : n.routers().entrySet()) {
                    ps.setString(1, n.agentId());
                    ps.setString(2, r.getKey().router());
                    ps.setInt(3, r.getKey().vrid());
                    ps.setString(4, r.getKey().family());
                    ps.setString(5, r.getValue().state());
                    ps.setObject(6, time(r.getValue().since()));
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }
        if (!n.trackers().isEmpty()) {
            try (PreparedStatement ps = c.prepareStatement(INSERT_TRACKER)) {
                for (Map.Entry<String, TrackerLast> t : n.trackers().entrySet()) {
                    ps.setString(1, n.agentId());
                    ps.setString(2, t.getKey());
                    ps.setString(3, t.getValue().kind());
                    ps.setBoolean(4, t.getValue().healthy());
                    ps.setObject(5, time(t.getValue().since()));
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }
    }

    private static OffsetDateTime time(Instant t) {
        return OffsetDateTime.ofInstant(t, ZoneOffset.UTC);
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        return rs.getObject(column, OffsetDateTime.class).toInstant();
    }
}
