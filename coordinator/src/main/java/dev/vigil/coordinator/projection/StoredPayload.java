package dev.vigil.coordinator.projection;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import org.postgresql.PGStatement;

import java.io.IOException;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * The canonical envelope inside a stored {@code FactRecorded} payload, read by streaming to its field:
 * no tree of the whole payload is built (reading back was two full JSON parses per fact).
 */
public final class StoredPayload {
    private static final JsonFactory JSON = new JsonFactory();

    private StoredPayload() {
    }

    /**
     * On PostgreSQL, asks for the result in binary from the first execution: in the text protocol a BYTEA
     * payload arrives hex-encoded and pgjdbc decodes it two characters per byte (7 % of the replay profile,
     * bench/RESULTS.md). Elsewhere nothing changes.
     */
    public static PreparedStatement binaryPayloads(PreparedStatement ps) throws SQLException {
        if (ps.isWrapperFor(PGStatement.class)) {
            ps.unwrap(PGStatement.class).setPrepareThreshold(-1);
        }
        return ps;
    }

    public static String envelope(byte[] payload) throws IOException {
        try (JsonParser p = JSON.createParser(payload)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("a stored fact's payload is not a JSON object");
            }
            for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (name.equals("envelope") && value == JsonToken.VALUE_STRING) {
                    return p.getText();
                }
                p.skipChildren();
            }
            throw new IOException("a stored fact's payload has no envelope");
        }
    }
}
