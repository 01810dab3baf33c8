package dev.vigil.agent.balance;

import dev.vigil.agent.check.PostgresCheck;
import dev.vigil.agent.check.ProbeResult;
import dev.vigil.agent.check.ScriptLauncher;
import dev.vigil.agent.config.IpText;
import dev.vigil.agent.config.RealServerCheck;
import dev.vigil.agent.config.ServiceAddress;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * One checker of one real server, run by {@link CheckLoop}. {@link #run()} never fails exceptionally and completes
 * within the checker's timeout (plus scheduling slack). TCP and HTTP run on the balancer's event loop (Vert.x
 * clients); MISC_CHECK on the script launcher's threads; PG_CHECK on its own threads (issue 6's check).
 */
interface ServerProbe extends AutoCloseable {

    /** Passed or not, what was seen, and a new weight from a MISC_CHECK with {@code misc_dynamic}. */
    record Outcome(boolean passed, String detail, Optional<Integer> weight) {
        static Outcome pass(String detail) {
            return new Outcome(true, detail, Optional.empty());
        }

        static Outcome fail(String detail) {
            return new Outcome(false, detail, Optional.empty());
        }
    }

    CompletableFuture<Outcome> run();

    @Override
    void close();

    static ServerProbe of(RealServerCheck check, String name, Vertx vertx, ScriptLauncher scripts) {
        if (check instanceof RealServerCheck.Tcp t) {
            return new Tcp(vertx, t);
        }
        if (check instanceof RealServerCheck.Http h) {
            return new Http(vertx, h);
        }
        if (check instanceof RealServerCheck.Misc m) {
            return new Misc(scripts, m);
        }
        RealServerCheck.Pg p = (RealServerCheck.Pg) check;
        PostgresCheck pg = new PostgresCheck(name, p.settings(), p.timing().connectTimeout());
        return new ServerProbe() {
            @Override
            public CompletableFuture<Outcome> run() {
                return pg.run().thenApply((ProbeResult r) -> new Outcome(r.passed(), r.detail(), Optional.empty()));
            }

            @Override
            public void close() {
                pg.close();
            }
        };
    }

    private static String why(Throwable t) {
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }

    /** TCP_CHECK: a connect within connect_timeout, closed at once. */
    final class Tcp implements ServerProbe {
        private final NetClient client;
        private final ServiceAddress target;

        Tcp(Vertx vertx, RealServerCheck.Tcp check) {
            this.target = check.target();
            this.client = vertx.createNetClient(new NetClientOptions()
                    .setConnectTimeout((int) Math.max(1, check.timing().connectTimeout().toMillis())));
        }

        @Override
        public CompletableFuture<Outcome> run() {
            long start = System.nanoTime();
            return client.connect(target.port(), IpText.of(target.ip()))
                    .compose(s -> s.close().map(v -> Outcome.pass("connected in "
                            + Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms")))
                    .otherwise(t -> Outcome.fail("connect to " + target + " failed: " + why(t)))
                    .toCompletionStage().toCompletableFuture();
        }

        @Override
        public void close() {
            client.close();
        }
    }

    /** HTTP_GET: every url answers an accepted status within connect_timeout, on a fresh connection. */
    final class Http implements ServerProbe {
        private final Vertx vertx;
        private final HttpClient client;
        private final RealServerCheck.Http check;

        Http(Vertx vertx, RealServerCheck.Http check) {
            this.vertx = vertx;
            this.check = check;
            int ms = (int) Math.max(1, check.timing().connectTimeout().toMillis());
            this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false).setConnectTimeout(ms));
        }

        @Override
        public CompletableFuture<Outcome> run() {
            return get(check.urls(), 0).otherwise(t -> Outcome.fail(why(t))).toCompletionStage().toCompletableFuture();
        }

        private Future<Outcome> get(List<RealServerCheck.Url> urls, int i) {
            RealServerCheck.Url url = urls.get(i);
            ServiceAddress a = check.target();
            RequestOptions o = new RequestOptions().setMethod(HttpMethod.GET).setHost(IpText.of(a.ip()))
                    .setPort(a.port()).setURI(url.path())
                    .setIdleTimeout(check.timing().connectTimeout().toMillis());
            url.virtualhost().or(check::virtualhost).ifPresent(h -> o.putHeader("Host", h));
            return client.request(o).compose(req -> req.send()).compose(resp -> resp.body().map(b -> resp.statusCode()))
                    .compose(status -> {
                        if (!url.accepts(status)) {
                            return Future.succeededFuture(Outcome.fail("GET " + url.path() + " answered " + status));
                        }
                        if (i + 1 < urls.size()) {
                            return get(urls, i + 1);
                        }
                        return Future.succeededFuture(Outcome.pass("GET " + url.path() + " answered " + status));
                    }, t -> Future.succeededFuture(Outcome.fail("GET " + a + url.path() + " failed: " + why(t))));
        }

        @Override
        public void close() {
            client.close();
        }
    }

    /** MISC_CHECK: exit 0 passes; with misc_dynamic, 2..255 passes with weight code - 2 (keepalived). */
    final class Misc implements ServerProbe {
        private final ScriptLauncher scripts;
        private final RealServerCheck.Misc check;
        private final ScriptLauncher.Prepared prepared;

        Misc(ScriptLauncher scripts, RealServerCheck.Misc check) {
            this.scripts = scripts;
            this.check = check;
            this.prepared = scripts.prepare(check.command().command(), check.command().user());
        }

        @Override
        public CompletableFuture<Outcome> run() {
            if (prepared instanceof ScriptLauncher.Refused r) {
                return CompletableFuture.completedFuture(Outcome.fail("refused: " + r.reason()));
            }
            return scripts.run((ScriptLauncher.Ready) prepared, List.of(), check.timeout()).thenApply(o -> {
                int code = o.code();
                if (code == 0) {
                    return Outcome.pass(o.detail());
                }
                if (check.dynamic() && code >= 2 && code <= 255 && o.detail().startsWith("exit status")) {
                    return new Outcome(true, o.detail() + " (weight " + (code - 2) + ")", Optional.of(code - 2));
                }
                return Outcome.fail(o.detail());
            }).exceptionally(t -> Outcome.fail(why(t)));
        }

        @Override
        public void close() {
            // the launcher is shared; it stops its scripts when the balancer closes it
        }
    }
}
