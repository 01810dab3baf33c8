package dev.vigil.coordinator.projection;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.coordinator.projection.NodeFold.Node;
import dev.vigil.coordinator.projection.NodeFold.RouterId;
import dev.vigil.coordinator.projection.NodeFold.RouterLast;
import dev.vigil.coordinator.projection.NodeFold.TrackerLast;
import dev.vigil.model.EnvelopeCodec;
import dev.vigil.model.EventEnvelope;
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
    private static final String NODES_OF = "SELECT agent_id, boot_id, booted_at, last_seq, last_seen, last_fact_type,"
            + " chain_length, chain_head FROM rm_node WHERE agent_id = ANY(?)";
    private static final String ROUTERS_OF = "SELECT agent_id, router, vrid, family, state, since FROM rm_node_router"
            + " WHERE agent_id = ANY(?)";
    private static final String TRACKERS_OF = "SELECT agent_id, tracker, kind, healthy, since FROM rm_node_tracker"
            + " WHERE agent_id = ANY(?)";
    private static final String INSERT_ROUTER = "INSERT INTO rm_node_router (state, since, agent_id, router, vrid, family)"
            + " VALUES (?, ?, ?, ?, ?, ?)";
    private static final String UPDATE_ROUTER = "UPDATE rm_node_router SET state = ?, since = ?"
            + " WHERE agent_id = ? AND router = ? AND vrid = ? AND family = ?";
    private static final String DELETE_ROUTER = "DELETE FROM rm_node_router WHERE agent_id = ? AND router = ? AND vrid = ? AND family = ?";
    private static final String INSERT_TRACKER = "INSERT INTO rm_node_tracker (kind, healthy, since, agent_id, tracker)"
            + " VALUES (?, ?, ?, ?, ?)";
    private static final String UPDATE_TRACKER = "UPDATE rm_node_tracker SET kind = ?, healthy = ?, since = ?"
            + " WHERE agent_id = ? AND tracker = ?";
    private static final String DELETE_TRACKER = "DELETE FROM rm_node_tracker WHERE agent_id = ? AND tracker = ?";
    private static final String STREAM = "SELECT payload FROM domain_event_entry WHERE payload_type = ?"
            + " ORDER BY aggregate_identifier, sequence_number";
    private static final String FACT_RECORDED = "dev.vigil.coordinator.domain.FactRecorded";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonFactory STREAM_JSON = new JsonFactory();

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

    /**
     * A stored {@code FactRecorded} payload (as Axon's serializer wrote it) as the fold's input, read in one streaming
     * pass, no tree and no {@code FactRecorded} object. The header fields come first in the payload (agentId, bootId,
     * seq, chainIndex, factType, agentTime: the envelope's own values, written at ingest); the envelope is decoded
     * from the string token in place (as {@link StoredPayload#decode}) only for the types whose bodies the fold reads
     * ({@link NodeFold#READ}), or when the header is incomplete; most facts are never decoded.
     */
    public NodeFold.Fact storedFact(byte[] payload) throws SQLException {
        try (JsonParser p = STREAM_JSON.createParser(payload)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("a stored fact's payload is not a JSON object");
            }
            String agentId = null;
            String bootId = null;
            String factType = null;
            Instant agentTime = null;
            String hash = null;
            long seq = -1;
            long chainIndex = -1;
            EventEnvelope envelope = null;
            for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                switch (name) {
                    case "agentId" -> agentId = p.getText();
                    case "bootId" -> bootId = p.getText();
                    case "seq" -> seq = p.getLongValue();
                    case "chainIndex" -> chainIndex = p.getLongValue();
                    case "factType" -> factType = p.getText();
                    case "agentTime" -> agentTime = value == JsonToken.VALUE_STRING ? instantOrNull(p.getText()) : null;
                    case "hash" -> hash = p.getText();
                    case "envelope" -> {
                        if (factType == null || bootId == null || seq < 0 || agentTime == null
                                || NodeFold.READ.contains(factType)) {
                            envelope = codec.decodeCanonical(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
                        }
                    }
                    default -> p.skipChildren();
                }
            }
            if (agentId == null || hash == null || chainIndex < 0) {
                throw new IOException("a stored fact's payload lacks agentId, chainIndex or hash");
            }
            if (envelope != null) {
                return new NodeFold.Fact(agentId, chainIndex, hash, envelope);
            }
            if (factType == null || bootId == null || seq < 0 || agentTime == null) {
                throw new IOException("a stored fact's payload has no envelope");
            }
            return new NodeFold.Fact(agentId, chainIndex, hash, bootId, seq, agentTime, factType, Optional.empty());
        } catch (IOException | MalformedEnvelopeException e) {
            throw new UndecodableStoredFact(e);
        }
    }

    /** An ISO-8601 instant, or null (then the envelope is decoded for its time). */
    private static Instant instantOrNull(String text) {
        try {
            return dev.vigil.model.InstantText.parse(text);
        } catch (java.time.DateTimeException e) {
            return null;
        }
    }

    /**
     * The tables emptied and filled with {@code nodes}, on {@code c}, in the caller's transaction (the catch-up's
     * result, committed with the processor's first tokens).
     */
    public void replace(Connection c, Map<String, Node> nodes) throws SQLException {
        try (java.sql.Statement s = c.createStatement()) {
            s.executeUpdate("DELETE FROM rm_node_router");
            s.executeUpdate("DELETE FROM rm_node_tracker");
            s.executeUpdate("DELETE FROM rm_node");
        }
        write(c, Map.of(), nodes);
    }

    /**
     * Folds a batch (each agent's facts in stream order) into the tables, on {@code c}, in the caller's transaction.
     * {@code known}: nodes as the tables hold them, kept in memory by the caller between batches (the node
     * projection's tailing loop keeps those of the segments it owns); the batch's agents missing from it are read with
     * one statement per table. The batch is folded in memory and only what changed is written, one JDBC batch per
     * statement; {@code known} then holds the new states, so if the transaction rolls back the caller must forget it.
     */
    public void apply(Connection c, Map<String, Node> known, List<NodeFold.Fact> facts) throws SQLException {
        Map<String, List<NodeFold.Fact>> byAgent = new LinkedHashMap<>();
        for (NodeFold.Fact f : facts) {
            byAgent.computeIfAbsent(f.agentId(), a -> new ArrayList<>()).add(f);
        }
        if (byAgent.isEmpty()) {
            return;
        }
        List<String> unknown = new ArrayList<>();
        for (String a : byAgent.keySet()) {
            if (!known.containsKey(a)) {
                unknown.add(a);
            }
        }
        Map<String, Node> before = new HashMap<>();
        Map<String, Node> loaded = unknown.isEmpty() ? Map.of() : loadAll(c, unknown);
        Map<String, Node> after = new LinkedHashMap<>();
        for (Map.Entry<String, List<NodeFold.Fact>> agent : byAgent.entrySet()) {
            Node stored = known.containsKey(agent.getKey()) ? known.get(agent.getKey()) : loaded.get(agent.getKey());
            Optional<Node> was = Optional.ofNullable(stored);
            Optional<Node> now = was;
            for (NodeFold.Fact f : agent.getValue()) {
                now = Optional.of(NodeFold.apply(now, f));
            }
            if (stored != null) {
                before.put(agent.getKey(), stored);
            }
            if (!now.equals(was)) {
                after.put(agent.getKey(), now.get());
            }
        }
        write(c, before, after);
        known.putAll(after);
        for (Map.Entry<String, Node> l : loaded.entrySet()) {
            known.putIfAbsent(l.getKey(), l.getValue());
        }
    }

    /** The stored nodes among {@code agents} (absent: never folded), three statements whatever their number. */
    static Map<String, Node> loadAll(Connection c, java.util.Collection<String> agents) throws SQLException {
        java.sql.Array ids = c.createArrayOf("VARCHAR", agents.toArray());
        Map<String, Map<RouterId, RouterLast>> routers = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(ROUTERS_OF)) {
            ps.setArray(1, ids);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    routers.computeIfAbsent(rs.getString(1), a -> new TreeMap<>()).put(
                            new RouterId(rs.getString(2), rs.getInt(3), rs.getString(4)), new RouterLast(rs.getString(5), instant(rs, 6)));
                }
            }
        }
        Map<String, Map<String, TrackerLast>> trackers = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(TRACKERS_OF)) {
            ps.setArray(1, ids);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    trackers.computeIfAbsent(rs.getString(1), a -> new TreeMap<>()).put(
                            rs.getString(2), new TrackerLast(rs.getString(3), rs.getBoolean(4), instant(rs, 5)));
                }
            }
        }
        Map<String, Node> out = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(NODES_OF)) {
            ps.setArray(1, ids);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String a = rs.getString(1);
                    out.put(a, new Node(a, rs.getString(2), instant(rs, 3), rs.getLong(4), instant(rs, 5), rs.getString(6),
                            rs.getLong(7), rs.getString(8).strip(), routers.getOrDefault(a, Map.of()),
                            trackers.getOrDefault(a, Map.of())));
                }
            }
        }
        ids.free();
        return out;
    }

    /**
     * {@code after}'s nodes written over {@code before}'s: node rows updated or inserted, router and tracker rows
     * inserted, updated or deleted by key as they differ (the fold only adds or replaces them), one JDBC batch each.
     */
    static void write(Connection c, Map<String, Node> before, Map<String, Node> after) throws SQLException {
        if (after.isEmpty()) {
            return;
        }
        try (PreparedStatement update = c.prepareStatement(UPDATE_NODE); PreparedStatement insert = c.prepareStatement(INSERT_NODE)) {
            int updates = 0;
            for (Node n : after.values()) {
                PreparedStatement ps = before.containsKey(n.agentId()) ? update : insert;
                updates += ps == update ? 1 : 0;
                ps.setString(1, n.bootId());
                ps.setObject(2, time(n.bootedAt()));
                ps.setLong(3, n.lastSeq());
                ps.setObject(4, time(n.lastSeen()));
                ps.setString(5, n.lastFactType());
                ps.setLong(6, n.chainLength());
                ps.setString(7, n.chainHead());
                ps.setString(8, n.agentId());
                ps.addBatch();
            }
            if (updates > 0) {
                for (int r : update.executeBatch()) {
                    if (r == 0) {
                        throw new SQLException("rm_node: an update touched no row");
                    }
                }
            }
            if (updates < after.size()) {
                insert.executeBatch();
            }
        }
        writeChildRows(c, INSERT_ROUTER, UPDATE_ROUTER, DELETE_ROUTER, before, after, Node::routers, 2,
                (ps, r) -> {
                    ps.setString(1, r.state());
                    ps.setObject(2, time(r.since()));
                }, NodeReadModel::routerKey);
        writeChildRows(c, INSERT_TRACKER, UPDATE_TRACKER, DELETE_TRACKER, before, after, Node::trackers, 3,
                (ps, t) -> {
                    ps.setString(1, t.kind());
                    ps.setBoolean(2, t.healthy());
                    ps.setObject(3, time(t.since()));
                }, (ps, from, agent, tracker) -> {
                    ps.setString(from, agent);
                    ps.setString(from + 1, tracker);
                });
    }

    /** Binds a child row's own columns, from parameter 1. */
    private interface RowValues<V> {
        void bind(PreparedStatement ps, V value) throws SQLException;
    }

    /** Binds a child row's key (agent id first), from parameter {@code from}. */
    private interface RowKey<K> {
        void bind(PreparedStatement ps, int from, String agent, K key) throws SQLException;
    }

    /**
     * One child table (a node's routers or trackers): rows new since {@code before} inserted, changed ones updated,
     * gone ones deleted, one JDBC batch per statement. Insert and update take the values first, then the key.
     */
    private static <K, V> void writeChildRows(Connection c, String insertSql, String updateSql, String deleteSql,
                                              Map<String, Node> before, Map<String, Node> after,
                                              java.util.function.Function<Node, Map<K, V>> rows, int valueColumns,
                                              RowValues<V> values, RowKey<K> key) throws SQLException {
        try (PreparedStatement insert = c.prepareStatement(insertSql); PreparedStatement update = c.prepareStatement(updateSql);
             PreparedStatement delete = c.prepareStatement(deleteSql)) {
            int[] n = new int[3];
            for (Node a : after.values()) {
                Map<K, V> now = rows.apply(a);
                Map<K, V> was = before.containsKey(a.agentId()) ? rows.apply(before.get(a.agentId())) : Map.of();
                for (Map.Entry<K, V> r : now.entrySet()) {
                    V old = was.get(r.getKey());
                    if (r.getValue().equals(old)) {
                        continue;
                    }
                    PreparedStatement ps = old == null ? insert : update;
                    n[old == null ? 0 : 1]++;
                    values.bind(ps, r.getValue());
                    key.bind(ps, valueColumns + 1, a.agentId(), r.getKey());
                    ps.addBatch();
                }
                for (K gone : was.keySet()) {
                    if (!now.containsKey(gone)) {
                        key.bind(delete, 1, a.agentId(), gone);
                        delete.addBatch();
                        n[2]++;
                    }
                }
            }
            execute(n, insert, update, delete);
        }
    }

    private static void routerKey(PreparedStatement ps, int from, String agent, RouterId r) throws SQLException {
        ps.setString(from, agent);
        ps.setString(from + 1, r.router());
        ps.setInt(from + 2, r.vrid());
        ps.setString(from + 3, r.family());
    }

    private static void execute(int[] counts, PreparedStatement... statements) throws SQLException {
        for (int i = 0; i < statements.length; i++) {
            if (counts[i] > 0) {
                statements[i].executeBatch();
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

    private static OffsetDateTime time(Instant t) {
        return OffsetDateTime.ofInstant(t, ZoneOffset.UTC);
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        return rs.getObject(column, OffsetDateTime.class).toInstant();
    }
}
