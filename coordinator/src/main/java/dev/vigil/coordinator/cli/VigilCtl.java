package dev.vigil.coordinator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
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
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code bin/vigilctl}: the audit API from a shell, with a read token. Human output by default,
 * the API's JSON with {@code --json}. Exit 0 done, 1 the store is not intact (verify), 2 a usage,
 * token file or connection problem, 3 the API refused the request (its message is printed).
 */
@Command(name = "vigilctl", mixinStandardHelpOptions = true, version = "vigilctl 0.1.0",
        description = "Ask the Vigil coordinator what happened, when and why.",
        subcommands = {VigilCtl.Replay.class, VigilCtl.Moves.class, VigilCtl.Incidents.class, VigilCtl.State.class,
                VigilCtl.Verify.class})
public final class VigilCtl {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter TIME_OF_DAY = DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneOffset.UTC);

    @Option(names = "--url", defaultValue = "${env:VIGIL_URL:-http://127.0.0.1:7740}", scope = CommandLine.ScopeType.INHERIT,
            description = "coordinator base URL (default ${DEFAULT-VALUE})")
    URI url;

    @Option(names = "--token-file", defaultValue = "${env:VIGIL_TOKEN_FILE:-/etc/vigil/read.token}",
            scope = CommandLine.ScopeType.INHERIT, description = "file holding a read token (default ${DEFAULT-VALUE})")
    Path tokenFile;

    @Option(names = "--json", scope = CommandLine.ScopeType.INHERIT, description = "print the API's JSON")
    boolean json;

    private final PrintWriter out;
    private final BufferedReader in;

    public VigilCtl(PrintWriter out, BufferedReader in) {
        this.out = out;
        this.in = in;
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        System.exit(commandLine(out, in).execute(args));
    }

    public static CommandLine commandLine(PrintWriter out, BufferedReader in) {
        CommandLine cl = new CommandLine(new VigilCtl(out, in));
        cl.setOut(out);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("vigilctl: " + e.getMessage());
            return e instanceof Refused ? 3 : 2;
        });
        return cl;
    }

    /** The API answered with an error status. */
    static final class Refused extends Exception {
        Refused(String message) {
            super(message);
        }
    }

    JsonNode get(String path, Map<String, Object> params) throws Exception {
        StringBuilder q = new StringBuilder(path);
        params.forEach((k, v) -> {
            if (v != null) {
                q.append(q.indexOf("?") < 0 ? '?' : '&').append(k).append('=')
                        .append(URLEncoder.encode(v.toString(), StandardCharsets.UTF_8));
            }
        });
        String token;
        try {
            token = Files.readString(tokenFile).trim();
        } catch (IOException e) {
            throw new IOException("cannot read the token file " + tokenFile + " (--token-file): " + e.getMessage(), e);
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> r;
        try {
            r = http.send(HttpRequest.newBuilder(url.resolve(q.toString())).timeout(Duration.ofSeconds(60))
                    .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IOException("cannot reach " + url + " (--url): " + e, e);
        }
        if (r.statusCode() != 200) {
            String message = r.body();
            try {
                JsonNode err = JSON.readTree(r.body());
                message = err.path("message").asText(r.body())
                        + (err.has("parameter") ? " (parameter " + err.get("parameter").asText() + ")" : "");
            } catch (IOException notJson) {
                // the body as it came
            }
            throw new Refused("HTTP " + r.statusCode() + ": " + message);
        }
        return JSON.readTree(r.body());
    }

    boolean printedJson(JsonNode body) throws IOException {
        if (json) {
            out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(body));
            out.flush();
        }
        return json;
    }

    static String ms(JsonNode n) {
        return Math.round(n.asDouble()) + " ms";
    }

    @Command(name = "replay", description = "The story of a window, one line per fact in agent time, with causes and durations.")
    static final class Replay implements Callable<Integer> {
        @ParentCommand
        VigilCtl ctl;
        @Option(names = "--from", required = true, description = "window start, e.g. 2026-11-25T03:12:00Z")
        Instant from;
        @Option(names = "--to", required = true, description = "window end")
        Instant to;
        @CommandLine.ArgGroup(exclusive = true)
        Scope scope;
        @Option(names = "--step", description = "walk the story line by line (Enter: next, q: quit)")
        boolean step;

        static final class Scope {
            @Option(names = "--vip", description = "only the routers that carried this VIP")
            String vip;
            @Option(names = "--cluster", description = "only this cluster")
            String cluster;
        }

        @Override
        public Integer call() throws Exception {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("from", from);
            p.put("to", to);
            p.put("vip", scope == null ? null : scope.vip);
            p.put("cluster", scope == null ? null : scope.cluster);
            JsonNode body = ctl.get("/v1/narrative", p);
            if (ctl.printedJson(body)) {
                return 0;
            }
            boolean oneDay = from.atZone(ZoneOffset.UTC).toLocalDate().equals(to.atZone(ZoneOffset.UTC).toLocalDate());
            for (JsonNode line : body.get("lines")) {
                Instant at = Instant.parse(line.get("at").asText());
                ctl.out.println((oneDay ? TIME_OF_DAY.format(at) : at.toString()) + " " + line.get("text").asText()
                        + (line.has("eventId") ? "  [event " + line.get("eventId").asLong() + "]" : ""));
                ctl.out.flush();
                if (step) {
                    String answer = ctl.in.readLine();
                    if (answer == null || answer.trim().equalsIgnoreCase("q")) {
                        break;
                    }
                }
            }
            return 0;
        }
    }

    @Command(name = "moves", description = "VIP moves: from, to, cause, gap without a master.")
    static final class Moves implements Callable<Integer> {
        @ParentCommand
        VigilCtl ctl;
        @Option(names = "--vip") String vip;
        @Option(names = "--vrid") Integer vrid;
        @Option(names = "--cluster") String cluster;
        @Option(names = "--node") String node;
        @Option(names = "--cause", description = "substring of the cause") String cause;
        @Option(names = "--from") Instant from;
        @Option(names = "--to") Instant to;

        @Override
        public Integer call() throws Exception {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("vip", vip);
            p.put("vrid", vrid);
            p.put("cluster", cluster);
            p.put("node", node);
            p.put("cause", cause);
            p.put("from", from);
            p.put("to", to);
            JsonNode body = ctl.get("/v1/moves", p);
            if (!ctl.printedJson(body)) {
                for (JsonNode m : body.get("moves")) {
                    List<String> addresses = new ArrayList<>();
                    m.get("addresses").forEach(a -> addresses.add(a.asText()));
                    ctl.out.println(m.get("at").asText() + " " + m.get("cluster").asText() + "/" + m.get("vrid").asInt() + " "
                            + String.join(",", addresses) + " " + m.get("from").asText() + " -> " + m.get("to").asText()
                            + (m.has("gapMs") ? " after " + ms(m.get("gapMs")) + " without a master" : "")
                            + ": " + m.get("cause").asText());
                }
                ctl.out.flush();
            }
            return 0;
        }
    }

    @Command(name = "incidents", description = "Split brains, no-master periods, flapping, failovers with their outage.")
    static final class Incidents implements Callable<Integer> {
        @ParentCommand
        VigilCtl ctl;
        @Option(names = "--cluster") String cluster;
        @Option(names = "--vrid") Integer vrid;
        @Option(names = "--kind", description = "SplitBrain, NoMaster, Flapping, Failover, TrackerFailedOnMaster") String kind;
        @Option(names = "--from") Instant from;
        @Option(names = "--to") Instant to;

        @Override
        public Integer call() throws Exception {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("cluster", cluster);
            p.put("vrid", vrid);
            p.put("kind", kind);
            p.put("from", from);
            p.put("to", to);
            JsonNode body = ctl.get("/v1/incidents", p);
            if (!ctl.printedJson(body)) {
                for (JsonNode i : body.get("incidents")) {
                    List<String> events = new ArrayList<>();
                    i.get("events").forEach(e -> events.add(e.asText()));
                    ctl.out.println(i.get("at").asText() + " " + i.get("kind").asText() + " " + i.get("cluster").asText() + "/"
                            + i.get("vrid").asInt() + (i.has("durationMs") ? " " + ms(i.get("durationMs")) : " (open)")
                            + ": " + i.get("detail").asText() + "  [events " + String.join(",", events) + "]");
                }
                ctl.out.flush();
            }
            return 0;
        }
    }

    @Command(name = "state", description = "Every virtual router at an instant: master, backups, priorities, trackers, VIP owners.")
    static final class State implements Callable<Integer> {
        @ParentCommand
        VigilCtl ctl;
        @Option(names = "--at", required = true) Instant at;
        @Option(names = "--cluster") String cluster;

        @Override
        public Integer call() throws Exception {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("at", at);
            p.put("cluster", cluster);
            JsonNode body = ctl.get("/v1/state", p);
            if (!ctl.printedJson(body)) {
                for (JsonNode r : body.get("routers")) {
                    StringBuilder line = new StringBuilder(r.get("cluster").asText() + "/" + r.get("vrid").asInt() + "/"
                            + r.get("family").asText() + " master " + names(r.get("masters")) + " backups " + names(r.get("backups")));
                    line.append(" priorities");
                    r.get("priorities").fields().forEachRemaining(e -> line.append(' ').append(e.getKey()).append('=')
                            .append(e.getValue().get("base").asInt()).append('/').append(e.getValue().get("effective").asInt()));
                    line.append(" VIPs");
                    r.get("vipOwners").fields().forEachRemaining(e -> line.append(' ').append(e.getKey()).append('@')
                            .append(e.getValue().asText()));
                    r.get("trackers").fields().forEachRemaining(a -> a.getValue().fields().forEachRemaining(t ->
                            line.append(" tracker ").append(a.getKey()).append(':').append(t.getKey()).append('=')
                                    .append(t.getValue().asBoolean() ? "ok" : "FAILED")));
                    ctl.out.println(line);
                }
                ctl.out.flush();
            }
            return 0;
        }

        private static String names(JsonNode list) {
            List<String> n = new ArrayList<>();
            list.forEach(x -> n.add(x.asText()));
            return n.isEmpty() ? "-" : String.join(",", n);
        }
    }

    @Command(name = "verify", description = "Recompute every agent's hash chain on the coordinator; exit 1 when one is broken.")
    static final class Verify implements Callable<Integer> {
        @ParentCommand
        VigilCtl ctl;

        @Override
        public Integer call() throws Exception {
            JsonNode body = ctl.get("/v1/verify", Map.of());
            if (!ctl.printedJson(body)) {
                for (JsonNode s : body.get("streams")) {
                    JsonNode b = s.path("firstBreak");
                    ctl.out.println(s.get("agentId").asText() + " " + s.get("length").asLong() + " events "
                            + (s.get("intact").asBoolean() ? "intact"
                            : b.get("kind").asText() + " at " + b.get("position").asLong() + ": " + b.get("detail").asText()));
                }
                ctl.out.flush();
            }
            return body.get("intact").asBoolean() ? 0 : 1;
        }
    }
}
