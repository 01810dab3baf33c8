package dev.vigil.coordinator.ingest;

import dev.vigil.coordinator.Coordinator;
import dev.vigil.model.EventEnvelope;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/** Posting batches as agent db1, for tests outside the contract. */
abstract class IngestContractHelpers {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    HttpResponse<String> post(Coordinator c, List<EventEnvelope> events) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + c.port() + "/v1/events"))
                .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + IngestContract.DB1_TOKEN)
                .POST(HttpRequest.BodyPublishers.ofByteArray(IngestContract.CODEC.encodeBatch(events))).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
