package dev.vigil.coordinator.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.model.EnvelopeCodec;
import dev.vigil.model.EventEnvelope;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.validation.ResponseValidator;
import io.vertx.openapi.validation.ValidatableResponse;
import org.yaml.snakeyaml.Yaml;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Talks to a running coordinator over real HTTP. Every audit response is validated against the
 * OpenAPI document the coordinator itself serves, so the document cannot drift from the code.
 */
final class ApiClient implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    // HTTP/1.1: the JDK client's h2c upgrade against Vert.x once left the first request unanswered and its
    // 60 s request timeout never fired (VigilCtlTest hung 10 minutes in a full build).
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final Vertx vertx = Vertx.vertx();
    private final int port;
    private final ResponseValidator validator;

    ApiClient(int port) throws Exception {
        this.port = port;
        HttpResponse<String> doc = send(HttpRequest.newBuilder(uri("/v1/openapi.yaml")).GET());
        if (doc.statusCode() != 200) {
            throw new IllegalStateException("no OpenAPI document: " + doc.statusCode());
        }
        Map<String, Object> tree = new Yaml().load(doc.body());
        // The validator knows JSON bodies only; the document's own (YAML) entry is not a JSON response.
        ((Map<?, ?>) tree.get("paths")).remove("/v1/openapi.yaml");
        OpenAPIContract contract = OpenAPIContract.from(vertx, new JsonObject(tree))
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        this.validator = ResponseValidator.create(vertx, contract);
    }

    URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + port + pathAndQuery);
    }

    HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return http.send(b.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** GET with a token; the response must match {@code operationId} in the served document. */
    HttpResponse<String> get(String operationId, String pathAndQuery, Optional<String> token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(pathAndQuery)).GET();
        token.ifPresent(t -> b.header("Authorization", "Bearer " + t));
        HttpResponse<String> r = send(b);
        validate(operationId, r.statusCode(), r.headers().firstValue("Content-Type").orElse("application/json"), r.body(),
                pathAndQuery);
        return r;
    }

    void validate(String operationId, int status, String type, String body, String what) throws Exception {
        ValidatableResponse v = ValidatableResponse.create(status, Map.of("Content-Type", type), Buffer.buffer(body), type);
        try {
            validator.validate(v, operationId).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new AssertionError("response of " + what + " does not match the OpenAPI document ("
                    + e.getCause() + "): " + status + " " + body, e);
        }
    }

    JsonNode read(String operationId, String pathAndQuery) throws Exception {
        HttpResponse<String> r = get(operationId, pathAndQuery, Optional.of(ScriptedFailover.READ_TOKEN));
        if (r.statusCode() != 200) {
            throw new AssertionError(pathAndQuery + ": " + r.statusCode() + " " + r.body());
        }
        return JSON.readTree(r.body());
    }

    HttpResponse<String> ingest(String token, List<EventEnvelope> events) throws Exception {
        return send(HttpRequest.newBuilder(uri("/v1/events")).header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofByteArray(EnvelopeCodec.standard().encodeBatch(events))));
    }

    @Override
    public void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
}
