package dev.vigil.coordinator.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vigil.coordinator.Coordinator;
import dev.vigil.coordinator.CoordinatorSettings;
import dev.vigil.coordinator.ingest.AgentTokens;
import dev.vigil.coordinator.store.StoreSettings;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The review page in Debian's headless Chromium, driven over the DevTools protocol (no driver
 * download): it loads from a seeded store, shows the holders' bands and the incidents, and a real
 * mouse click on a marker opens that marker's event. The screenshot is kept in target/artifacts.
 */
@Timeout(120)
class ReviewPageBrowserIT {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Pattern DEVTOOLS = Pattern.compile("DevTools listening on (ws://\\S+)");

    @TempDir
    Path dir;

    @Test
    void thePageShowsBandsAndIncidentsAndAClickOpensTheEvent() throws Exception {
        if ("true".equals(System.getenv("CI"))) {
            assertThat(Files.isExecutable(CHROMIUM)).as("Debian's chromium package is needed").isTrue();
        }
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM), "needs /usr/bin/chromium");
        AgentTokens agents = AgentTokens.of(Map.of("db1", AgentTokens.sha256Hex(ScriptedFailover.DB1_TOKEN),
                "db2", AgentTokens.sha256Hex(ScriptedFailover.DB2_TOKEN)));
        Process chromium = null;
        try (Coordinator c = Coordinator.start(new CoordinatorSettings("127.0.0.1", 0, StoreSettings.embedded(dir.resolve("data")),
                agents, Optional.empty()).withOperators(AgentTokens.of(Map.of("alice",
                AgentTokens.sha256Hex(ScriptedFailover.READ_TOKEN)))), Clock.systemUTC());
             ApiClient api = new ApiClient(c.port())) {
            api.ingest(ScriptedFailover.DB1_TOKEN, ScriptedFailover.db1());
            api.ingest(ScriptedFailover.DB2_TOKEN, ScriptedFailover.db2());
            long priorityEvent = api.read("events", "/v1/events?type=PriorityChanged").get("events").get(0).get("id").asLong();

            chromium = new ProcessBuilder(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--remote-debugging-port=0", "--window-size=1200,700",
                    "--user-data-dir=" + dir.resolve("chromium-profile"),
                    "http://127.0.0.1:" + c.port() + "/review/?cluster=pg-main&from=2026-11-25T03:11:30Z&to=2026-11-25T03:12:30Z")
                    .redirectErrorStream(true).start();
            String browserWs = devtoolsUrl(chromium);
            URI base = URI.create(browserWs.replace("ws://", "http://"));
            HttpClient http = HttpClient.newHttpClient();
            String pageWs = null;
            for (int i = 0; i < 50 && pageWs == null; i++) {
                JsonNode targets = ApiClient.JSON.readTree(http.send(HttpRequest.newBuilder(base.resolve("/json/list")).build(),
                        HttpResponse.BodyHandlers.ofString()).body());
                for (JsonNode t : targets) {
                    if (t.path("type").asText().equals("page") && t.path("url").asText().contains("/review/")) {
                        pageWs = t.get("webSocketDebuggerUrl").asText();
                    }
                }
                Thread.sleep(100);
            }
            assertThat(pageWs).as("the review page opened in Chromium").isNotNull();
            try (DevTools page = new DevTools(http, pageWs)) {
                page.until("document.readyState === 'complete' && !!document.getElementById('query')");
                page.eval("document.getElementById('token').value = '" + ScriptedFailover.READ_TOKEN + "';"
                        + " document.getElementById('query').requestSubmit(); true");
                page.until("document.querySelectorAll('rect.band').length === 2");
                assertThat(page.eval("[...document.querySelectorAll('rect.band')].map(b => b.dataset.agent).join(',')").asText())
                        .isEqualTo("db1,db2");
                assertThat(page.eval("document.querySelectorAll('.marker.incident').length").asInt()).isEqualTo(3);
                assertThat(page.eval("document.getElementById('error').textContent").asText()).isEmpty();

                // A real mouse click on the priority-change marker (drawn last on db1's lane, so on top).
                JsonNode at = page.eval("(() => { const r = document.querySelector('.marker.priority').getBoundingClientRect();"
                        + " return [r.x + r.width / 2, r.y + r.height / 2]; })()");
                for (String type : new String[] {"mousePressed", "mouseReleased"}) {
                    ObjectNode p = ApiClient.JSON.createObjectNode().put("type", type).put("x", at.get(0).asDouble())
                            .put("y", at.get(1).asDouble()).put("button", "left").put("clickCount", 1);
                    page.call("Input.dispatchMouseEvent", p);
                }
                page.until("document.getElementById('detail').dataset.eventIds === '" + priorityEvent + "'");
                assertThat(page.eval("document.getElementById('detail').textContent").asText())
                        .contains("db1 priority 150 -> 90 (pg_primary)", "event " + priorityEvent + " ", "PriorityChanged");

                JsonNode shot = page.call("Page.captureScreenshot", ApiClient.JSON.createObjectNode().put("format", "png"));
                Path artifacts = Files.createDirectories(Path.of("target", "artifacts"));
                Files.write(artifacts.resolve("review-page.png"), Base64.getDecoder().decode(shot.get("data").asText()));
            }
        } finally {
            if (chromium != null) {
                chromium.descendants().forEach(ProcessHandle::destroyForcibly);
                chromium.destroyForcibly();
                chromium.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static String devtoolsUrl(Process chromium) throws Exception {
        CompletableFuture<String> url = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(chromium.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    Matcher m = DEVTOOLS.matcher(line);
                    if (m.find()) {
                        url.complete(m.group(1));
                    }
                }
            } catch (Exception e) {
                url.completeExceptionally(e);
            }
            url.completeExceptionally(new IllegalStateException("chromium exited without a DevTools URL"));
        }, "chromium-output");
        reader.setDaemon(true);
        reader.start();
        return url.get(30, TimeUnit.SECONDS);
    }

    /** A minimal DevTools protocol client for one page: numbered calls, answers matched by id. */
    private static final class DevTools implements AutoCloseable, WebSocket.Listener {
        private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
        private final AtomicInteger ids = new AtomicInteger();
        private final StringBuilder partial = new StringBuilder();
        private final WebSocket socket;

        DevTools(HttpClient http, String url) throws Exception {
            socket = http.newWebSocketBuilder().buildAsync(URI.create(url), this).get(10, TimeUnit.SECONDS);
        }

        JsonNode call(String method, JsonNode params) throws Exception {
            int id = ids.incrementAndGet();
            CompletableFuture<JsonNode> answer = new CompletableFuture<>();
            pending.put(id, answer);
            ObjectNode msg = ApiClient.JSON.createObjectNode().put("id", id).put("method", method);
            msg.set("params", params);
            socket.sendText(msg.toString(), true).get(10, TimeUnit.SECONDS);
            JsonNode reply = answer.get(20, TimeUnit.SECONDS);
            if (reply.has("error")) {
                throw new AssertionError(method + ": " + reply.get("error"));
            }
            return reply.get("result");
        }

        JsonNode eval(String expression) throws Exception {
            JsonNode r = call("Runtime.evaluate", ApiClient.JSON.createObjectNode().put("expression", expression)
                    .put("returnByValue", true).put("awaitPromise", true));
            if (r.has("exceptionDetails")) {
                throw new AssertionError(expression + ": " + r.get("exceptionDetails"));
            }
            return r.path("result").path("value");
        }

        void until(String condition) throws Exception {
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!eval(condition).asBoolean(false)) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("never true: " + condition + "; page error: "
                            + eval("document.getElementById('error') ? document.getElementById('error').textContent : ''"));
                }
                Thread.sleep(100);
            }
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    JsonNode msg = ApiClient.JSON.readTree(partial.toString());
                    CompletableFuture<JsonNode> f = msg.has("id") ? pending.remove(msg.get("id").asInt()) : null;
                    if (f != null) {
                        f.complete(msg);
                    }
                } catch (Exception e) {
                    // an event we do not follow
                }
                partial.setLength(0);
            }
            ws.request(1);
            return null;
        }

        @Override
        public void close() {
            socket.abort();
        }
    }
}
