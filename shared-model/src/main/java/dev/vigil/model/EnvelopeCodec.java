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
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.databind.util.TokenBuffer;

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

    private static final String TYPE_KEY = ",\"type\":\"";

    private static final DateTimeFormatter TIME = DateTimeFormatter
            .ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

    private final ObjectMapper mapper = mapper();
    /** Records straight to canonical JSON: no tree in between (the profile showed the tree round trip per event). */
    private final ObjectWriter canonical = mapper.writerFor(CanonicalEnvelope.class);
    private final ObjectWriter canonicalBatch = mapper.writerFor(CanonicalBatch.class);
    /** Facts of stored envelopes: every field is written, so a missing one means "not ours, take the slow path". */
    private final ObjectReader strictFact = mapper.reader().with(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES);
    /** One reader per fact type: {@code forType} builds a reader and looks its deserializer up on every call. */
    private final ClassValue<ObjectReader> strictFactOf = new ClassValue<>() {
        @Override
        protected ObjectReader computeValue(Class<?> type) {
            return strictFact.forType(type);
        }
    };
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
            return canonical.writeValueAsString(CanonicalEnvelope.of(e));
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException("cannot encode " + e.id(), ex);
        }
    }

    /** A batch as sent to {@code POST /v1/events}: {@code {"events":[...]}}. */
    public byte[] encodeBatch(List<EventEnvelope> events) {
        try {
            return canonicalBatch.writeValueAsBytes(new CanonicalBatch(events.stream().map(CanonicalEnvelope::of).toList()));
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException("cannot encode batch", ex);
        }
    }

    /**
     * One envelope, canonical or not. Canonical JSON (every stored fact: the projections read them through
     * here) takes the streaming reader of {@link #decodeCanonical}; anything else, the tree with its errors.
     */
    public EventEnvelope decode(String json) throws MalformedEnvelopeException {
        return decodeCanonical(json);
    }

    /** The general path alone (tests compare the streaming reader against it). */
    EventEnvelope decodeTree(String json) throws MalformedEnvelopeException {
        return decode(parse(json.getBytes(StandardCharsets.UTF_8)), "$");
    }

    /**
     * Decodes an envelope this codec encoded (a stored fact), streaming it straight into the records: no
     * tree. The canonical encoding sorts keys, so the fact's {@code type} is the last field, after the
     * fact: it is read from the end first. Anything else (another key order, an older schema version that
     * may need upcasting, a missing field) goes through {@link #decode(String)}, with its errors.
     */
    public EventEnvelope decodeCanonical(String json) throws MalformedEnvelopeException {
        try {
            EventEnvelope e = streamCanonical(json);
            if (e != null) {
                return e;
            }
        } catch (IOException | RuntimeException ex) {
            // Not canonical after all: the general path names the problem.
        }
        return decodeTree(json);
    }

    /**
     * {@link #decodeCanonical(String)} over {@code chars[offset, offset + length)}: the envelope as a JSON string
     * token's characters inside a stored payload, decoded without materialising it as a String first (replay
     * read every stored envelope twice: unescaped into a String, then copied again into the parser). The
     * characters are only read during the call.
     */
    public EventEnvelope decodeCanonical(char[] chars, int offset, int length) throws MalformedEnvelopeException {
        try {
            EventEnvelope e = streamCanonical(chars, offset, length);
            if (e != null) {
                return e;
            }
        } catch (IOException | RuntimeException ex) {
            // Not canonical after all: the general path names the problem.
        }
        return decodeTree(new String(chars, offset, length));
    }

    private EventEnvelope streamCanonical(char[] chars, int offset, int length) throws IOException {
        int end = offset + length;
        if (length < TYPE_KEY.length() + 2 || chars[end - 2] != '"' || chars[end - 1] != '}') {
            return null;
        }
        int at = lastIndexOfTypeKey(chars, offset, end - 2);
        if (at < 0) {
            return null;
        }
        int nameFrom = at + TYPE_KEY.length();
        Class<? extends AgentFact> factType = FactType.byName(new String(chars, nameFrom, end - 2 - nameFrom))
                .orElse(null);
        if (factType == null) {
            return null;
        }
        try (JsonParser p = mapper.createParser(chars, offset, length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            EventEnvelope e = streamEnvelope(p, factType);
            return e != null && p.nextToken() == null ? e : null;
        }
    }

    /** Where {@link #TYPE_KEY} last starts within {@code chars[from, to)}, or -1. */
    private static int lastIndexOfTypeKey(char[] chars, int from, int to) {
        int n = TYPE_KEY.length();
        for (int i = to - n; i >= from; i--) {
            int k = 0;
            while (k < n && chars[i + k] == TYPE_KEY.charAt(k)) {
                k++;
            }
            if (k == n) {
                return i;
            }
        }
        return -1;
    }

    private EventEnvelope streamCanonical(String json) throws IOException {
        int at = json.lastIndexOf(TYPE_KEY);
        if (at < 0 || !json.endsWith("\"}")) {
            return null;
        }
        Class<? extends AgentFact> factType = FactType.byName(json.substring(at + TYPE_KEY.length(), json.length() - 2))
                .orElse(null);
        if (factType == null) {
            return null;
        }
        try (JsonParser p = mapper.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            EventEnvelope e = streamEnvelope(p, factType);
            return e != null && p.nextToken() == null ? e : null;
        }
    }

    /**
     * The streaming reader behind the fast paths: the parser is on the envelope's START_OBJECT and is left on
     * its END_OBJECT. Strict: anything the general path might refuse, or would upcast, answers null and the
     * caller takes the general path, so every error message comes from there. {@code knownType}: the fact's
     * type when the caller already knows it; otherwise a fact before its {@code type} is buffered as tokens.
     */
    private EventEnvelope streamEnvelope(JsonParser p, Class<? extends AgentFact> knownType) throws IOException {
        String agentId = null;
        String bootId = null;
        String time = null;
        String typeName = null;
        Optional<String> cluster = null;
        AgentFact fact = null;
        TokenBuffer factTokens = null;
        long seq = 0;
        long monotonic = 0;
        int schema = 0;
        int numbers = 0;
        for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            switch (name) {
                case "agentId" -> agentId = value == JsonToken.VALUE_STRING ? p.getText() : null;
                case "bootId" -> bootId = value == JsonToken.VALUE_STRING ? p.getText() : null;
                case "cluster" -> cluster = value == JsonToken.VALUE_STRING ? Optional.of(p.getText())
                        : value == JsonToken.VALUE_NULL ? Optional.empty() : null;
                case "time" -> time = value == JsonToken.VALUE_STRING ? p.getText() : null;
                case "type" -> typeName = value == JsonToken.VALUE_STRING ? p.getText() : null;
                case "fact" -> {
                    if (value != JsonToken.START_OBJECT) {
                        return null;
                    }
                    Class<? extends AgentFact> type = knownType != null ? knownType
                            : typeName != null ? FactType.byName(typeName).orElse(null) : null;
                    if (type != null) {
                        fact = strictFactOf.get(type).readValue(p);
                    } else {
                        factTokens = new TokenBuffer(p);
                        factTokens.copyCurrentStructure(p);
                    }
                }
                case "seq", "monotonicNanos", "schemaVersion" -> {
                    if (value != JsonToken.VALUE_NUMBER_INT) {
                        return null;
                    }
                    switch (name) {
                        case "seq" -> seq = p.getLongValue();
                        case "monotonicNanos" -> monotonic = p.getLongValue();
                        default -> schema = p.getIntValue();
                    }
                    numbers++;
                }
                default -> p.skipChildren();
            }
        }
        if (p.currentToken() != JsonToken.END_OBJECT || typeName == null) {
            return null;
        }
        Class<? extends AgentFact> type = FactType.byName(typeName).orElse(null);
        if (type == null || (knownType != null && knownType != type)) {
            return null;
        }
        if (fact == null && factTokens != null) {
            try (JsonParser buffered = factTokens.asParserOnFirstToken()) {
                fact = strictFactOf.get(type).readValue(buffered);
            }
        }
        if (numbers != 3 || schema != currentSchema || agentId == null || bootId == null || time == null
                || cluster == null || fact == null || fact.getClass() != type) {
            return null;
        }
        return new EventEnvelope(agentId, bootId, seq, InstantText.parse(time), monotonic, schema, cluster, fact);
    }

    /**
     * A batch in one streaming pass (what agents send: canonical envelopes), or null when anything in it
     * needs the general path (then the whole batch goes there, for its checks and its error messages).
     */
    private List<EventEnvelope> streamBatch(byte[] body) {
        try (JsonParser p = mapper.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            List<EventEnvelope> out = null;
            for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (!name.equals("events")) {
                    p.skipChildren();
                    continue;
                }
                if (value != JsonToken.START_ARRAY) {
                    return null;
                }
                out = new ArrayList<>();
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                    if (e != JsonToken.START_OBJECT) {
                        return null;
                    }
                    EventEnvelope envelope = streamEnvelope(p, null);
                    if (envelope == null) {
                        return null;
                    }
                    out.add(envelope);
                }
            }
            return p.currentToken() == JsonToken.END_OBJECT && p.nextToken() == null ? out : null;
        } catch (IOException | RuntimeException ex) {
            return null;
        }
    }

    /** Decodes a whole batch or names the first bad field; nothing is returned for a bad batch. */
    public List<EventEnvelope> decodeBatch(byte[] body) throws MalformedEnvelopeException {
        List<EventEnvelope> streamed = streamBatch(body);
        if (streamed != null) {
            return streamed;
        }
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
        ObjectNode fact = (ObjectNode) wire.fact();
        if (wire.schemaVersion() < currentSchema) {
            fact = fact.deepCopy(); // upcasters may modify their argument; the caller's tree stays as it was
        }
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

    /** What the canonical encoding looks like: keys sorted, the fact as its record (written by its runtime type). */
    record CanonicalEnvelope(String agentId, String bootId, Optional<String> cluster, AgentFact fact, long monotonicNanos,
                             int schemaVersion, long seq, String time, String type) {
        static CanonicalEnvelope of(EventEnvelope e) {
            return new CanonicalEnvelope(e.agentId(), e.bootId(), e.cluster(), e.fact(), e.monotonicNanos(),
                    e.schemaVersion(), e.seq(), EnvelopeCodec.time(e.time()), FactType.nameOf(e.fact()));
        }
    }

    /** {@link #TIME} written by hand for years 0-9999 (DateTimeFormatter showed in the ingest profile). */
    static String time(Instant t) {
        java.time.LocalDateTime d = java.time.LocalDateTime.ofEpochSecond(t.getEpochSecond(), t.getNano(), ZoneOffset.UTC);
        if (d.getYear() < 0 || d.getYear() > 9999) {
            return TIME.format(t);
        }
        char[] c = new char[27];
        pad(c, 0, d.getYear(), 4);
        c[4] = '-';
        pad(c, 5, d.getMonthValue(), 2);
        c[7] = '-';
        pad(c, 8, d.getDayOfMonth(), 2);
        c[10] = 'T';
        pad(c, 11, d.getHour(), 2);
        c[13] = ':';
        pad(c, 14, d.getMinute(), 2);
        c[16] = ':';
        pad(c, 17, d.getSecond(), 2);
        c[19] = '.';
        pad(c, 20, d.getNano() / 1_000, 6);
        c[26] = 'Z';
        return new String(c);
    }

    private static void pad(char[] c, int at, int value, int width) {
        for (int i = at + width - 1; i >= at; i--) {
            c[i] = (char) ('0' + value % 10);
            value /= 10;
        }
    }

    record CanonicalBatch(List<CanonicalEnvelope> events) {
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
