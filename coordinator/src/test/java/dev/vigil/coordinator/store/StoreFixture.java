package dev.vigil.coordinator.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import javax.sql.DataSource;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.sql.Types;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A store's rows as JSON lines, loadable into either vendor through JDBC (binary as base64,
 * timestamps as ISO strings). Identity columns are left out so the database numbers them again.
 */
final class StoreFixture {
    static final Map<String, String> TABLES = Map.of(
            "domain_event_entry", "global_index",
            "snapshot_event_entry", "aggregate_identifier, sequence_number",
            "ingested_fact", "agent_id, boot_id, seq");
    static final List<String> ORDER = List.of("domain_event_entry", "snapshot_event_entry", "ingested_fact");
    private static final ObjectMapper JSON = new ObjectMapper();

    private StoreFixture() {
    }

    /**
     * Writes a fixture store: {@code mvn -o -pl coordinator exec:java -Dexec.classpathScope=test
     * -Dexec.mainClass=dev.vigil.coordinator.store.StoreFixture -Dexec.args=OUT.jsonl}. The committed
     * fixtures/store-v1.jsonl was written by the first release and must never be regenerated.
     */
    public static void main(String[] args) throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("vigil-fixture");
        dev.vigil.model.EnvelopeCodec codec = dev.vigil.model.EnvelopeCodec.standard();
        try (AuditStore store = AuditStore.open(StoreSettings.embedded(dir).withSnapshotEvery(5), java.time.Clock.systemUTC())) {
            var ingest = new dev.vigil.coordinator.ingest.IngestService(codec, store::record);
            for (String agent : List.of("db1", "db2")) {
                ingest.ingest(agent, codec.encodeBatch(FirstReleaseStoreTest.firstReleaseFacts(agent)));
            }
            try (var out = java.nio.file.Files.newBufferedWriter(java.nio.file.Path.of(args[0]))) {
                dump(store.dataSource(), out);
            }
        }
    }

    static void dump(DataSource ds, Writer out) throws Exception {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            for (String table : ORDER) {
                try (ResultSet rs = s.executeQuery("SELECT * FROM " + table + " ORDER BY " + TABLES.get(table))) {
                    ResultSetMetaData md = rs.getMetaData();
                    while (rs.next()) {
                        ObjectNode row = JSON.createObjectNode();
                        for (int i = 1; i <= md.getColumnCount(); i++) {
                            String col = md.getColumnLabel(i).toLowerCase(java.util.Locale.ROOT);
                            if (col.equals("global_index")) {
                                continue;
                            }
                            int type = md.getColumnType(i);
                            if (rs.getObject(i) == null) {
                                row.putNull(col);
                            } else if (type == Types.BINARY || type == Types.VARBINARY || type == Types.LONGVARBINARY
                                    || type == Types.BLOB) {
                                row.putObject(col).put("b64", Base64.getEncoder().encodeToString(rs.getBytes(i)));
                            } else if (type == Types.TIMESTAMP_WITH_TIMEZONE || type == Types.TIMESTAMP) {
                                row.putObject(col).put("ts", rs.getObject(i, OffsetDateTime.class).toString());
                            } else if (type == Types.BIGINT || type == Types.INTEGER) {
                                row.put(col, rs.getLong(i));
                            } else {
                                row.put(col, rs.getString(i));
                            }
                        }
                        out.write(JSON.writeValueAsString(JSON.createObjectNode().put("table", table).set("row", row)));
                        out.write('\n');
                    }
                }
            }
        }
    }

    static void load(DataSource ds, BufferedReader in) throws IOException, java.sql.SQLException {
        try (Connection c = ds.getConnection()) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n = JSON.readTree(line);
                JsonNode row = n.get("row");
                List<String> cols = new ArrayList<>();
                row.fieldNames().forEachRemaining(cols::add);
                String sql = "INSERT INTO " + n.get("table").asText() + " (" + String.join(", ", cols) + ") VALUES ("
                        + String.join(", ", cols.stream().map(x -> "?").toList()) + ")";
                try (PreparedStatement ps = c.prepareStatement(sql)) {
                    Iterator<String> it = cols.iterator();
                    for (int i = 1; it.hasNext(); i++) {
                        JsonNode v = row.get(it.next());
                        if (v.isNull()) {
                            ps.setObject(i, null);
                        } else if (v.has("b64")) {
                            ps.setBytes(i, Base64.getDecoder().decode(v.get("b64").asText()));
                        } else if (v.has("ts")) {
                            ps.setObject(i, OffsetDateTime.parse(v.get("ts").asText()));
                        } else if (v.isNumber()) {
                            ps.setLong(i, v.asLong());
                        } else {
                            ps.setString(i, v.asText());
                        }
                    }
                    ps.executeUpdate();
                }
            }
        }
    }
}
