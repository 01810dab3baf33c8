package dev.vigil.coordinator.projection;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.vigil.model.EnvelopeCodec;
import dev.vigil.model.EventEnvelope;
import dev.vigil.model.FactType;
import dev.vigil.model.MalformedEnvelopeException;

import org.postgresql.PGStatement;

import java.io.IOException;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Predicate;

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

    /** The envelope's JSON as a String (the query API hands it out as stored). */
    public static String envelope(byte[] payload) throws IOException {
        try (JsonParser p = JSON.createParser(payload)) {
            toEnvelope(p);
            return p.getText();
        }
    }

    /**
     * The stored envelope decoded in one pass over the payload: the codec reads the envelope string token's
     * unescaped characters in place, no String of it is made (replay profile: the payload parse, a String
     * copy, then the parser's copy of that String, per fact).
     */
    public static EventEnvelope decode(byte[] payload, EnvelopeCodec codec) throws IOException, MalformedEnvelopeException {
        try (JsonParser p = JSON.createParser(payload)) {
            toEnvelope(p);
            return codec.decodeCanonical(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
        }
    }

    /**
     * {@link #decode(byte[], EnvelopeCodec)}, or null when the payload's {@code factType} (written before the
     * envelope) is not in {@code types}: that envelope is not decoded at all. A payload without the field before
     * its envelope is decoded and filtered by the decoded fact's type.
     */
    static EventEnvelope decodeOf(byte[] payload, EnvelopeCodec codec, Set<String> types)
            throws IOException, MalformedEnvelopeException {
        try (JsonParser p = JSON.createParser(payload)) {
            if (!toEnvelope(p, types)) {
                return null;
            }
            EventEnvelope e = codec.decodeCanonical(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
            return types.contains(e.factType()) ? e : null;
        }
    }

    /** Leaves the parser on the payload's {@code envelope} string value. */
    private static void toEnvelope(JsonParser p) throws IOException {
        toEnvelope(p, null);
    }

    /** As above; false (parser anywhere) when a {@code factType} before the envelope is not in {@code types}. */
    private static boolean toEnvelope(JsonParser p, Set<String> types) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw new IOException("a stored fact's payload is not a JSON object");
        }
        for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            if (name.equals("envelope") && value == JsonToken.VALUE_STRING) {
                return true;
            }
            if (types != null && name.equals("factType") && value == JsonToken.VALUE_STRING
                    && !types.contains(p.getText())) {
                return false;
            }
            p.skipChildren();
        }
        throw new IOException("a stored fact's payload has no envelope");
    }

    /** Rows read with more than this many decoded beside the reader; fewer are decoded on the caller's thread. */
    static final int CHUNK = 512;
    /** Chunks read ahead of the oldest one not yet decoded: bounds the rows held in memory. */
    private static final int IN_FLIGHT = 8;
    /** Shared by all readers; daemon threads, one per core up to two (decode is CPU, the reader mostly waits). */
    private static final ExecutorService DECODERS = Executors.newFixedThreadPool(
            Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors())), r -> {
                Thread t = new Thread(r, "vigil-fact-decode");
                t.setDaemon(true);
                return t;
            });

    /**
     * Stored rows (payload, arrival time) decoded in order while the caller reads on: the JDBC reader on its
     * thread, chunks of {@link #CHUNK} rows decoded on up to two other threads, at most {@link #IN_FLIGHT}
     * chunks ahead (replay was one thread doing both; the raw table scan alone is 3-10x faster than that).
     * Not thread-safe: one reader adds, then calls {@link #finish()}.
     */
    public static final class Decoding {
        private final EnvelopeCodec codec;
        private final Predicate<Observed> keep;
        private final List<Observed> out = new ArrayList<>();
        private final ArrayDeque<CompletableFuture<List<Observed>>> pending = new ArrayDeque<>();
        private byte[][] payloads = new byte[CHUNK][];
        private Instant[] times = new Instant[CHUNK];
        private int rows;

        private final Set<String> types;

        public Decoding(EnvelopeCodec codec, Predicate<Observed> keep) {
            this(codec, FactType.names(), keep);
        }

        /** Only facts of {@code types} (fact type names); the others' envelopes are not decoded. */
        public Decoding(EnvelopeCodec codec, Set<String> types, Predicate<Observed> keep) {
            this.codec = codec;
            this.types = Set.copyOf(types);
            this.keep = keep;
        }

        public void add(byte[] payload, Instant recordedAt) throws SQLException {
            payloads[rows] = payload;
            times[rows] = recordedAt;
            if (++rows == CHUNK) {
                byte[][] p = payloads;
                Instant[] t = times;
                pending.add(CompletableFuture.supplyAsync(() -> decode(p, t, CHUNK), DECODERS));
                payloads = new byte[CHUNK][];
                times = new Instant[CHUNK];
                rows = 0;
                while (pending.size() > IN_FLIGHT) {
                    collect(pending.poll());
                }
            }
        }

        /** Every kept fact in the order added. */
        public List<Observed> finish() throws SQLException {
            List<Observed> rest;
            try {
                rest = rows > 0 ? decode(payloads, times, rows) : List.of(); // the tail: on this thread
            } catch (Undecodable u) {
                pending.forEach(f -> f.cancel(false));
                throw new UndecodableStoredFact(u.cause);
            }
            while (!pending.isEmpty()) {
                collect(pending.poll());
            }
            out.addAll(rest);
            return out;
        }

        private void collect(CompletableFuture<List<Observed>> chunk) throws SQLException {
            try {
                out.addAll(chunk.join());
            } catch (CompletionException e) {
                pending.forEach(f -> f.cancel(false));
                pending.clear();
                throw e.getCause() instanceof Undecodable u ? new UndecodableStoredFact(u.cause)
                        : new UndecodableStoredFact(e);
            }
        }

        private List<Observed> decode(byte[][] p, Instant[] t, int n) {
            List<Observed> kept = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                Observed o;
                try {
                    EventEnvelope e = decodeOf(p[i], codec, types);
                    o = e == null ? null : new Observed(e, t[i]);
                } catch (IOException | MalformedEnvelopeException e) {
                    throw new Undecodable(e);
                }
                if (o != null && keep.test(o)) {
                    kept.add(o);
                }
            }
            return kept;
        }
    }

    /** Carries a decode failure out of a decoder thread. */
    private static final class Undecodable extends RuntimeException {
        private final Exception cause;

        Undecodable(Exception cause) {
            super(cause.getMessage(), cause, false, false);
            this.cause = cause;
        }
    }
}
