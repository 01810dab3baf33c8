package dev.vigil.dist;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.yaml.snakeyaml.Yaml;

import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docker-compose.yml, checked without a Docker engine (there is none here): its structure (three agents, each in
 * its PostgreSQL's namespace with NET_ADMIN and NET_RAW), every file it names exists, every agent's keepalived.conf
 * passes {@code vigil-agent -t}, its VIPs are on the VRRP subnet, the coordinator's token hashes match the agents'
 * token files; and {@code docker compose config} / {@code docker-compose config} accepts it where a client exists.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ComposeConfigIT {
    static final Path COMPOSE = Tree.TOP.resolve("docker-compose.yml");

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object o) {
        return (List<Object>) o;
    }

    @Test
    void threeAgentsEachBesideAPostgresqlWithWhatVrrpNeeds() throws Exception {
        Map<String, Object> doc;
        try (Reader r = Files.newBufferedReader(COMPOSE)) {
            doc = map(new Yaml().load(r));
        }
        Map<String, Object> services = map(doc.get("services"));
        assertThat(services).containsKeys("store", "coordinator", "pg1", "pg2", "pg3", "agent1", "agent2", "agent3");
        String subnet = (String) map(list(map(map(map(doc.get("networks")).get("vrrp")).get("ipam")).get("config")).get(0)).get("subnet");
        assertThat(subnet).isEqualTo("172.28.0.0/24");

        Set<String> pgAddresses = new HashSet<>();
        for (int i = 1; i <= 3; i++) {
            Map<String, Object> pg = map(services.get("pg" + i));
            String address = (String) map(map(pg.get("networks")).get("vrrp")).get("ipv4_address");
            assertThat(address).startsWith("172.28.0.");
            pgAddresses.add(address);

            Map<String, Object> agent = map(services.get("agent" + i));
            assertThat(list(agent.get("cap_add"))).contains("NET_ADMIN", "NET_RAW");
            assertThat(agent.get("network_mode")).isEqualTo("service:pg" + i);
            String conf = list(agent.get("volumes")).stream().map(Object::toString)
                    .filter(v -> v.endsWith(":/etc/keepalived/keepalived.conf:ro")).findFirst().orElseThrow();
            Path file = Tree.TOP.resolve(conf.substring(0, conf.indexOf(':')));
            Tree.Run check = Tree.run(Tree.TOP, Duration.ofSeconds(60), Tree.TOP.resolve("bin/vigil-agent").toString(),
                    "-t", "-f", file.toString());
            assertThat(check.status()).as(check.out()).isZero();
            String text = Files.readString(file);
            assertThat(text).contains("agent_id agent" + i).contains("token_file /run/secrets/agent_token");
            Matcher vip = Pattern.compile("(?m)^\\s+(172\\.28\\.0\\.\\d+)/24$").matcher(text);
            int vips = 0;
            while (vip.find()) {
                vips++;
                assertThat(pgAddresses).doesNotContain(vip.group(1));
            }
            assertThat(vips).as("a write and a read VIP in %s", file).isEqualTo(2);
        }
        assertThat(pgAddresses).hasSize(3);
        assertThat(map(map(doc.get("x-agent")).get("build")).get("dockerfile")).isEqualTo("deploy/agent.Dockerfile");
    }

    @Test
    void everyFileItNamesExistsAndTheTokensMatchTheCoordinatorConfig() throws Exception {
        String text = Files.readString(COMPOSE);
        Matcher paths = Pattern.compile("\\./([A-Za-z0-9_./-]+)").matcher(text);
        List<String> named = new ArrayList<>();
        while (paths.find()) {
            named.add(paths.group(1));
        }
        assertThat(named).isNotEmpty();
        for (String p : named) {
            assertThat(Tree.TOP.resolve(p)).as("named in docker-compose.yml").exists();
        }
        for (String dockerfile : List.of("deploy/agent.Dockerfile", "deploy/coordinator.Dockerfile")) {
            assertThat(Tree.TOP.resolve(dockerfile)).exists();
        }
        String coordinator = Files.readString(Tree.TOP.resolve("deploy/compose/coordinator.json"));
        for (int i = 1; i <= 3; i++) {
            String token = Files.readString(Tree.TOP.resolve("deploy/compose/agent" + i + ".token")).strip();
            assertThat(coordinator).contains("\"agent" + i + "\": { \"tokenSha256\": \"" + sha256(token) + "\" }");
        }
        assertThat(coordinator).contains(sha256(Files.readString(Tree.TOP.resolve("deploy/compose/read.token")).strip()));
    }

    @Test
    void aComposeClientAcceptsItWhereThereIsOne() {
        // Debian's docker-compose 1.29 is what the issue names; bin/vigil-packages installs it, so CI must have it
        dev.vigil.lab.Requirements.requireCommand("docker-compose");
        List<List<String>> clients = new ArrayList<>();
        if (Tree.onPath("docker") && Tree.run(Tree.TOP, Duration.ofSeconds(30), "docker", "compose", "version").status() == 0) {
            clients.add(List.of("docker", "compose"));
        }
        if (Tree.onPath("docker-compose")) {
            clients.add(List.of("docker-compose"));
        }
        org.junit.jupiter.api.Assumptions.assumeFalse(clients.isEmpty(),
                "no compose client here (neither `docker compose` nor docker-compose): parsed only");
        for (List<String> client : clients) {
            List<String> argv = new ArrayList<>(client);
            argv.addAll(List.of("-f", COMPOSE.toString(), "config", "-q"));
            Tree.Run r = Tree.run(Tree.TOP, Duration.ofSeconds(60), argv.toArray(String[]::new));
            assertThat(r.status()).as("%s: %s", argv, r.out()).isZero();
        }
    }

    private static String sha256(String s) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }
}
