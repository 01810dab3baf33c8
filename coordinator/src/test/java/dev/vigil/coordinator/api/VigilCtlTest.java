package dev.vigil.coordinator.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vigil.coordinator.Coordinator;
import dev.vigil.coordinator.CoordinatorSettings;
import dev.vigil.coordinator.cli.VigilCtl;
import dev.vigil.coordinator.ingest.AgentTokens;
import dev.vigil.coordinator.store.StoreSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** vigilctl against a real coordinator seeded with the scripted failover. */
@Timeout(90)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VigilCtlTest {
    @TempDir
    static Path dir;
    Coordinator coordinator;
    Path readToken;
    Path ingestToken;

    @BeforeAll
    void seed() throws Exception {
        AgentTokens agents = AgentTokens.of(Map.of("db1", AgentTokens.sha256Hex(ScriptedFailover.DB1_TOKEN),
                "db2", AgentTokens.sha256Hex(ScriptedFailover.DB2_TOKEN)));
        coordinator = Coordinator.start(new CoordinatorSettings("127.0.0.1", 0, StoreSettings.embedded(dir.resolve("store")),
                agents, Optional.empty()).withOperators(AgentTokens.of(Map.of("alice",
                AgentTokens.sha256Hex(ScriptedFailover.READ_TOKEN)))), Clock.systemUTC());
        try (ApiClient api = new ApiClient(coordinator.port())) {
            api.ingest(ScriptedFailover.DB1_TOKEN, ScriptedFailover.db1());
            api.ingest(ScriptedFailover.DB2_TOKEN, ScriptedFailover.db2());
        }
        readToken = Files.writeString(dir.resolve("read.token"), ScriptedFailover.READ_TOKEN + "\n");
        ingestToken = Files.writeString(dir.resolve("db1.token"), ScriptedFailover.DB1_TOKEN);
    }

    @AfterAll
    void stop() {
        if (coordinator != null) {
            coordinator.close();
        }
    }

    record Run(int exit, String out, String err) {
    }

    Run run(String stdin, Path token, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = VigilCtl.commandLine(new PrintWriter(out, true), new BufferedReader(new StringReader(stdin)));
        cl.setErr(new PrintWriter(err, true));
        List<String> all = new ArrayList<>(List.of("--url", "http://127.0.0.1:" + coordinator.port(), "--token-file", token.toString()));
        all.addAll(List.of(args));
        int exit = cl.execute(all.toArray(String[]::new));
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void replayTellsTheFailoverInAgentTime() {
        Run r = run("", readToken, "replay", "--from", "2026-11-25T03:12:00Z", "--to", "2026-11-25T03:13:00Z", "--vip", "10.0.0.10");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().lines()).containsSubsequence(
                "03:12:04.000 db1 tracker pg_primary FAILED: exit 1: server is not the primary  [event 4]",
                "03:12:04.100 db1 became BACKUP of VI_PG (VRID 51, was MASTER, priority 90): a higher priority advert (100 from 192.0.2.12) while at 90  [event 6]",
                "03:12:04.461 failover of pg-main/51/IPV4 db1 -> db2: outage 361 ms",
                "03:12:04.461 VIP 10.0.0.10 moved db1 -> db2 after 360 ms without a master");
    }

    @Test
    void replayStepsLineByLineAndStopsOnQ() {
        Run r = run("\nq\n", readToken, "replay", "--from", "2026-11-25T03:11:00Z", "--to", "2026-11-25T03:13:00Z",
                "--cluster", "pg-main", "--step");
        assertThat(r.exit()).isZero();
        assertThat(r.out().lines()).hasSize(2);
    }

    @Test
    void replayJsonIsTheApisAnswer() throws Exception {
        Run r = run("", readToken, "replay", "--from", "2026-11-25T03:11:00Z", "--to", "2026-11-25T03:13:00Z", "--json");
        JsonNode body = ApiClient.JSON.readTree(r.out());
        assertThat(body.get("lines").size()).isGreaterThan(10);
    }

    @Test
    void movesIncidentsStateAndVerify() throws Exception {
        Run moves = run("", readToken, "moves", "--vip", "10.0.0.10");
        assertThat(moves.out().strip()).isEqualTo("2026-11-25T03:12:04.461Z pg-main/51 10.0.0.10 db1 -> db2 after 360 ms without a master:"
                + " master-down timer expired 3.6 s after the last advert from 192.0.2.11");
        Run incidents = run("", readToken, "incidents", "--kind", "Failover");
        assertThat(incidents.out()).startsWith("2026-11-25T03:12:04.100Z Failover pg-main/51 361 ms: db1 -> db2: master-down");
        Run state = run("", readToken, "state", "--at", "2026-11-25T03:12:05Z");
        assertThat(state.out().strip()).isEqualTo("pg-main/51/IPV4 master db2 backups db1 priorities db1=150/90 db2=100/100"
                + " VIPs 10.0.0.10@db2 tracker db1:pg_primary=FAILED");
        Run json = run("", readToken, "state", "--at", "2026-11-25T03:12:05Z", "--json");
        assertThat(ApiClient.JSON.readTree(json.out()).get("routers").get(0).get("masters").get(0).asText()).isEqualTo("db2");
        Run verify = run("", readToken, "verify");
        assertThat(verify.exit()).isZero();
        assertThat(verify.out()).contains("db1 7 events intact", "db2 4 events intact");
    }

    @Test
    void refusalsAndBadInputAreOneClearLine() {
        Run wrongKind = run("", ingestToken, "moves");
        assertThat(wrongKind.exit()).isEqualTo(3);
        assertThat(wrongKind.err()).contains("HTTP 403").contains("ingest token cannot read");
        Run badVip = run("", readToken, "moves", "--vip", "nonsense");
        assertThat(badVip.exit()).isEqualTo(3);
        assertThat(badVip.err()).contains("HTTP 400").contains("(parameter vip)");
        Run noFile = run("", dir.resolve("missing.token"), "moves");
        assertThat(noFile.exit()).isEqualTo(2);
        assertThat(noFile.err()).contains("--token-file");
        Run badTime = run("", readToken, "state", "--at", "noon");
        assertThat(badTime.exit()).isEqualTo(2);
    }
}
