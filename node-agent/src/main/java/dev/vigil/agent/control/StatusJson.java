package dev.vigil.agent.control;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;

/** {@link AgentStatus} as JSON (the admin socket's body, {@code vigilctl status --json}, {@code /tmp/vigil.json}). */
public final class StatusJson {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            // a newer agent may add fields: an older vigilctl still reads what it knows
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private StatusJson() {
    }

    public static String write(AgentStatus status) {
        try {
            return MAPPER.writeValueAsString(status) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("status not serializable: " + e.getMessage(), e);
        }
    }

    public static AgentStatus read(String json) throws IOException {
        return MAPPER.readValue(json, AgentStatus.class);
    }
}
