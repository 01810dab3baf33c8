package dev.vigil.model;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;

import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * JSON for envelopes and batches. Decoding tolerates unknown fields, refuses a missing or null
 * required field by its path, and upcasts facts written under an older schema version.
 * Encoding is canonical (the hash chain depends on it): UTF-8, no whitespace, object keys sorted
 * by code point at every level, absent optionals as {@code null}, times as
 * {@code yyyy-MM-ddTHH:mm:ss.ffffffZ} (always six fractional digits), numbers as integers.
 */
public final class EnvelopeCodec {
    /** The schema version this build writes. */
    public static final int CURRENT_SCHEMA = 1;

    /** getRecordComponents() copies and reflects on every call; decoding asks for them per envelope. */
    private static final ClassValue<RecordComponent[]> COMPONENTS = new ClassValue<>() {
        @Override
        protected RecordComponent[] computeValue(Class<?> type) {
            return type.getRecordComponents();
        }
    };

    private static final DateTimeFormatter TIME = DateTimeFormatter
            .ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

    private final ObjectMapper mapper = mapper();
    private final int currentSchema;
    private final Map<String, FactUpcaster> upcasters = new HashMap<>();

    public EnvelopeCodec(int currentSchema, List<FactUpcaster> upcasters) {
        this.currentSchema = currentSchema;
        for (FactUpcaster u : upcasters) {
            if (u.fromVersion() < 1 || u.fromVersion() >= currentSchema) {
                throw new IllegalArgumentException("upcaster for " + u.factType() + " from version "
                        + u.fromVersion() + " is outside 1.." + (currentSchema - 1));
            }
            if (this.upcasters.put(key(u.factType(), u.fromVersion()), u) != null) {
                throw new IllegalArgumentException("two upcasters for " + u.factType() + " from version " + u.fromVersion());
            }
        }
    }

    /** The codec of this release: schema {@link #CURRENT_SCHEMA}, with every upcaster it needs. */
    public static EnvelopeCodec standard() {
        return new EnvelopeCodec(CURRENT_SCHEMA, List.of());
    }

    public int currentSchema() {
        return currentSchema;
    }

    /** The canonical JSON of one envelope (see the class comment). */
    public String encode(EventEnvelope e) {
        try {
            return mapper.writeValueAsString(toTree(e));
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException("cannot encode " + e.id(), ex);
        }
    }

    /** A batch as sent to {@code POST /v1/events}: {@code {"events":[...]}}. */
    public byte[] encodeBatch(List<EventEnvelope> events) {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        ArrayNode array = root.putArray("events");
        events.forEach(e -> array.add(toTree(e)));
        try {
            return mapper.writeValueAsBytes(root);
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException("cannot encode batch", ex);
        }
    }

    public EventEnvelope decode(String json) throws MalformedEnvelopeException {
        return decode(parse(json.getBytes(StandardCharsets.UTF_8)), "$");
    }

    /** Decodes a whole batch or names the first bad field; nothing is returned for a bad batch. */
    public List<EventEnvelope> decodeBatch(byte[] body) throws MalformedEnvelopeException {
        JsonNode root = parse(body);
        if (!root.isObject()) {
            throw new MalformedEnvelopeException("$", "expected an object {\"events\": [...]}");
        }
        JsonNode events = root.get("events");
        if (events == null || events.isNull()) {
            throw new MalformedEnvelopeException("events", "required field missing");
        }
        if (!events.isArray()) {
            throw new MalformedEnvelopeException("events", "expected an array");
        }
        List<EventEnvelope> out = new ArrayList<>(events.size());
        for (int i = 0; i < events.size(); i++) {
            out.add(decode(events.get(i), "events[" + i + "]"));
        }
        return out;
    }

    /** Decodes one envelope found at {@code path} (used in error messages). */
    public EventEnvelope decode(JsonNode node, String path) throws MalformedEnvelopeException {
        if (!node.isObject()) {
            throw new MalformedEnvelopeException(path, "expected an object");
        }
        requireFields((ObjectNode) node, WireEnvelope.class, path);
        WireEnvelope wire = bind(node, WireEnvelope.class, path);
        Class<? extends AgentFact> type = FactType.byName(wire.type()).orElseThrow(() ->
                new MalformedEnvelopeException(path + ".type", "unknown fact type '" + wire.type()
                        + "'; known: " + new java.util.TreeSet<>(FactType.names())));
        if (wire.schemaVersion() > currentSchema) {
            throw new MalformedEnvelopeException(path + ".schemaVersion", "version " + wire.schemaVersion()
                    + " is newer than this build understands (" + currentSchema + ")");
        }
        if (!wire.fact().isObject()) {
            throw new MalformedEnvelopeException(path + ".fact", "expected an object");
        }
        ObjectNode fact = ((ObjectNode) wire.fact()).deepCopy();
        for (int v = Math.max(1, wire.schemaVersion()); v < currentSchema; v++) {
            FactUpcaster u = upcasters.get(key(wire.type(), v));
            if (u != null) {
                fact = u.upcast(fact);
            }
        }
        requireFields(fact, type, path + ".fact");
        AgentFact decoded = bind(fact, type, path + ".fact");
        Instant time;
        try {
            time = Instant.parse(wire.time());
        } catch (DateTimeParseException ex) {
            throw new MalformedEnvelopeException(path + ".time", "not an ISO-8601 UTC instant: '" + wire.time() + "'");
        }
        try {
            // Stored and re-encoded in the current shape: upcasting happens once, on the way in.
            return new EventEnvelope(wire.agentId(), wire.bootId(), wire.seq(), time, wire.monotonicNanos(),
                    currentSchema, wire.cluster(), decoded);
        } catch (IllegalArgumentException | NullPointerException ex) {
            throw new MalformedEnvelopeException(path, ex.getMessage());
        }
    }

    private ObjectNode toTree(EventEnvelope e) {
        WireEnvelope wire = new WireEnvelope(e.agentId(), e.bootId(), e.seq(), TIME.format(e.time()),
                e.monotonicNanos(), e.schemaVersion(), e.cluster(), FactType.nameOf(e.fact()),
                mapper.valueToTree(e.fact()));
        return mapper.valueToTree(wire);
    }

    private JsonNode parse(byte[] body) throws MalformedEnvelopeException {
        try {
            JsonNode node = mapper.readTree(body);
            if (node == null || node.isMissingNode()) {
                throw new MalformedEnvelopeException("$", "empty body");
            }
            return node;
        } catch (IOException ex) {
            throw new MalformedEnvelopeException("$", "not JSON: " + firstLine(ex.getMessage()));
        }
    }

    private <T> T bind(JsonNode node, Class<T> type, String path) throws MalformedEnvelopeException {
        try {
            return mapper.treeToValue(node, type);
        } catch (JsonMappingException ex) {
            StringBuilder field = new StringBuilder(path);
            for (JsonMappingException.Reference r : ex.getPath()) {
                if (r.getFieldName() != null) {
                    field.append('.').append(r.getFieldName());
                } else if (r.getIndex() >= 0) {
                    field.append('[').append(r.getIndex()).append(']');
                }
            }
            Throwable cause = ex.getCause() != null ? ex.getCause() : ex;
            String problem = cause == ex ? ex.getOriginalMessage() : cause.getMessage();
            throw new MalformedEnvelopeException(field.toString(), firstLine(problem));
        } catch (JsonProcessingException ex) {
            throw new MalformedEnvelopeException(path, firstLine(ex.getOriginalMessage()));
        }
    }

    /**
     * Every record component that is not an {@link Optional} must be present and non-null;
     * nested records are checked too, so the error names the innermost missing field.
     */
    private static void requireFields(ObjectNode node, Class<?> recordType, String path)
            throws MalformedEnvelopeException {
        for (RecordComponent c : COMPONENTS.get(recordType)) {
            JsonNode value = node.get(c.getName());
            if (c.getType() == Optional.class) {
                continue;
            }
            if (value == null || value.isNull()) {
                throw new MalformedEnvelopeException(path + "." + c.getName(), "required field missing");
            }
            if (c.getType().isRecord() && value.isObject()) {
                requireFields((ObjectNode) value, c.getType(), path + "." + c.getName());
            }
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "invalid";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static String key(String type, int version) {
        return type + "@" + version;
    }

    private static ObjectMapper mapper() {
        SimpleModule optionals = new SimpleModule("vigil-optional-string");
        optionals.addSerializer(new OptionalStringSerializer());
        @SuppressWarnings({"unchecked", "rawtypes"})
        Class<Optional<String>> optionalClass = (Class) Optional.class;
        optionals.addDeserializer(optionalClass, new OptionalStringDeserializer());
        return JsonMapper.builder()
                .addModule(optionals)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
                .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
                .enable(JsonNodeFeature.WRITE_PROPERTIES_SORTED)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .build();
    }

    /** The envelope as it travels: the fact's type is a sibling of its body. */
    record WireEnvelope(String agentId, String bootId, long seq, String time, long monotonicNanos,
                        int schemaVersion, Optional<String> cluster, String type, JsonNode fact) {
    }

    /** Optional&lt;String&gt; without the jdk8 module: empty is written as null, null or absent read as empty. */
    @SuppressWarnings({"rawtypes"})
    private static final class OptionalStringSerializer extends StdSerializer<Optional> {
        OptionalStringSerializer() {
            super(Optional.class);
        }

        @Override
        public void serialize(Optional value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            if (value.isPresent()) {
                gen.writeString(String.valueOf(value.get()));
            } else {
                gen.writeNull();
            }
        }
    }

    private static final class OptionalStringDeserializer extends StdDeserializer<Optional<String>> {
        OptionalStringDeserializer() {
            super(Optional.class);
        }

        @Override
        public Optional<String> deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
            if (p.currentToken() == JsonToken.VALUE_STRING) {
                return Optional.of(p.getText());
            }
            return ctx.reportInputMismatch(this, "expected a string or null, found %s", p.currentToken());
        }

        @Override
        public Optional<String> getNullValue(DeserializationContext ctx) {
            return Optional.empty();
        }

        @Override
        public Object getAbsentValue(DeserializationContext ctx) {
            return Optional.empty();
        }
    }

}
