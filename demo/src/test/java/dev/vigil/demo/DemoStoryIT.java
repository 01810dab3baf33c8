package dev.vigil.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.lab.Requirements;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs the story exactly as {@code bin/vigil demo} does ({@link DemoMain#play}, the real agent and coordinator
 * from the modules' target folders) and then asks the audit trail, through the coordinator's API, what it
 * recorded: the killed host's VIP moved to the standby that took over, with a master-down gap consistent with the
 * one on the wire, the split brain was seen, every hash chain verifies, and no generated token reached a log.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS) // the story takes about a minute; PostgreSQL clusters add some
class DemoStoryIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The agent's own measure (master-down timer) and the capture's differ by scheduling and capture timestamps. */
    private static final double GAP_AGREEMENT_MS = 500;

    @Test
    void theStoryEndsWithAnAuditTrailThatNamesTheKilledHostAndVerifies() throws Exception {
        Requirements.requireNamespaces();
        Requirements.requirePostgres();
        Requirements.requireCommand("tshark");
        Path top = Path.of("..").toAbsolutePath().normalize();
        assertThat(top.resolve("node-agent/target/node-agent.jar")).as("the agent is packaged before the demo's ITs run").exists();
        assertThat(top.resolve("coordinator/target/coordinator.jar")).exists();

        AtomicReference<Audit> seen = new AtomicReference<>();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Instant began = Instant.now();
        int status = DemoMain.play(top, false, finale -> {
            try {
                seen.set(audit(finale, began));
            } catch (Exception | AssertionError e) {
                failed.set(e); // thrown after the story has cleaned up
            }
        });
        if (failed.get() != null) {
            throw new AssertionError("reading the audit trail failed", failed.get());
        }
        assertThat(status).isZero();
        Audit a = seen.get();
        DemoMain.Finale f = a.finale;
        assertThat(f.killedHost()).isEqualTo("db1");
        assertThat(f.newHolder()).isIn("db2", "db3");
        assertThat(f.wireGapMs()).as("the capture shows the no-master gap").isPresent();

        // The move of the write VIP, with the new holder's cause naming how long it waited after db1's last advert.
        JsonNode move = null;
        for (JsonNode m : a.moves.get("moves")) {
            if (m.get("vrid").asInt() == f.writeVrid() && m.get("from").asText().equals(f.killedHost())
                    && m.get("to").asText().equals(f.newHolder())) {
                move = m;
                break;
            }
        }
        assertThat(move).as("a move of VRID %d from %s to %s in %s", f.writeVrid(), f.killedHost(), f.newHolder(), a.moves).isNotNull();
        Matcher waited = Pattern.compile("master-down timer expired (\\d+) ms after the last advert from (\\S+)")
                .matcher(move.get("cause").asText());
        assertThat(waited.find()).as("cause: %s", move.get("cause").asText()).isTrue();
        double auditGap = Double.parseDouble(waited.group(1));
        assertThat(auditGap).as("the audit's gap against the wire's %s ms", f.wireGapMs().getAsDouble())
                .isCloseTo(f.wireGapMs().getAsDouble(), org.assertj.core.data.Offset.offset(GAP_AGREEMENT_MS));

        // The narrative names the killed host, and the split brain made on purpose is an incident.
        List<String> lines = new ArrayList<>();
        a.narrative.get("lines").forEach(l -> lines.add(l.get("text").asText()));
        assertThat(String.join("\n", lines)).contains(f.killedHost()).contains(f.newHolder());
        List<String> kinds = new ArrayList<>();
        a.incidents.get("incidents").forEach(i -> kinds.add(i.get("kind").asText()));
        assertThat(kinds).as("incidents %s", a.incidents).contains("SplitBrain");

        assertThat(a.verify.get("intact").asBoolean()).as("chains: %s", a.verify).isTrue();
        assertThat(a.verify.get("streams").size()).as("one chain per agent").isEqualTo(3);

        for (var log : f.logs().entrySet()) {
            for (String secret : f.secrets()) {
                assertThat(log.getValue()).as("the %s log must not show a token", log.getKey()).doesNotContain(secret);
            }
        }
    }

    private record Audit(DemoMain.Finale finale, JsonNode moves, JsonNode incidents, JsonNode narrative, JsonNode verify) {
    }

    private static Audit audit(DemoMain.Finale f, Instant began) throws Exception {
        String token = Files.readString(f.readTokenFile()).strip();
        String cluster = "cluster=" + f.cluster();
        String window = "from=" + enc(began.minusSeconds(60).toString()) + "&to=" + enc(Instant.now().plusSeconds(5).toString());
        return new Audit(f, get(f, token, "/v1/moves?" + cluster), get(f, token, "/v1/incidents?" + cluster),
                get(f, token, "/v1/narrative?" + cluster + "&" + window), get(f, token, "/v1/verify"));
    }

    private static JsonNode get(DemoMain.Finale f, String token, String path) throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(f.coordinatorUrl() + path))
                .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + token).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("%s: %s", path, r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
