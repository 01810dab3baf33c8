package dev.vigil.coordinator.ingest;

import dev.vigil.coordinator.Coordinator;
import dev.vigil.coordinator.CoordinatorSettings;
import dev.vigil.coordinator.store.StoreSettings;
import dev.vigil.coordinator.verify.StoreAudit;
import dev.vigil.lab.PgCluster;
import dev.vigil.lab.PgLab;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** With its database down the coordinator answers 503 quickly and loses nothing; afterwards ingest resumes. */
@Timeout(300)
class StoreOutageIT extends IngestContractHelpers {
    @RegisterExtension
    final PgLab pg = PgLab.extension();

    @Test
    void aStoppedDatabaseIs503AndTheRetryAfterItsReturnStoresEverythingOnce() throws Exception {
        PgCluster cluster = pg.cluster("store");
        cluster.query("CREATE DATABASE outage");
        StoreSettings settings = new StoreSettings(cluster.jdbcUrl("outage"), "postgres", "", 4, 1000);
        try (Coordinator c = Coordinator.start(new CoordinatorSettings("127.0.0.1", 0, settings,
                AgentTokens.of(Map.of("db1", AgentTokens.sha256Hex(IngestContract.DB1_TOKEN))), Optional.empty()),
                Clock.systemUTC())) {
            assertThat(post(c, IngestContract.facts("db1", "b", 1, 3)).statusCode()).isEqualTo(200);

            cluster.stop();
            long start = System.nanoTime();
            HttpResponse<String> down = post(c, IngestContract.facts("db1", "b", 4, 6));
            assertThat(down.statusCode()).as(down.body()).isEqualTo(503);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));

            cluster.start();
            // An agent resends its whole outbox until it gets a 200; no more than a few tries are needed.
            HttpResponse<String> back = post(c, IngestContract.facts("db1", "b", 1, 6));
            for (int tries = 1; back.statusCode() == 503 && tries < 5; tries++) {
                Thread.sleep(500);
                back = post(c, IngestContract.facts("db1", "b", 1, 6));
            }
            assertThat(back.statusCode()).as(back.body()).isEqualTo(200);
            assertThat(IngestContract.json(back).get("stored").asInt()).isEqualTo(3);
            assertThat(IngestContract.head(back, "b")).isEqualTo(6);
            assertThat(new StoreAudit(c.store().dataSource()).verify(Optional.empty()))
                    .singleElement().satisfies(v -> {
                        assertThat(v.length()).isEqualTo(6);
                        assertThat(v.intact()).isTrue();
                    });
        }
    }

}
