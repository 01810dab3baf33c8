package dev.vigil.agent.check;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.postgresql.Driver;

/**
 * One kept-open pgjdbc connection to one server, used from its own worker thread. Each {@link #call} runs SQL on it
 * (connecting first when there is no connection) and answers within its budget: when the budget runs out the
 * deadline answers "timeout after ...", aborts the connection ({@code Connection.abort}) and closes the session's
 * sockets, so a hung server never holds the caller. A broken kept connection is replaced at once by one retry in the
 * same call, so a restarted server passes at its first check.
 */
final class PgSession implements AutoCloseable {

    /** SQL against an open connection. */
    @FunctionalInterface
    interface SqlWork<T> {
        T run(Connection c) throws SQLException;
    }

    /** A value, or why there is none. */
    sealed interface Reply<T> {
        record Value<T>(T value) implements Reply<T> {}

        record Failure<T>(String detail) implements Reply<T> {}
    }

    private static final Driver DRIVER = new Driver();

    private final String token = "s-" + UUID.randomUUID();
    private final PgEndpoint endpoint;
    private final PgCheckSettings settings;
    private final String applicationName;
    private final ScheduledExecutorService deadlines;
    private final ExecutorService worker;
    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile Connection connection;

    PgSession(String name, PgEndpoint endpoint, PgCheckSettings settings, ScheduledExecutorService deadlines) {
        this.endpoint = endpoint;
        this.settings = settings;
        this.applicationName = "vigil check " + name;
        this.deadlines = deadlines;
        this.worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "vigil-check-" + name + "-" + endpoint.label());
            t.setDaemon(true);
            return t;
        });
    }

    PgEndpoint endpoint() {
        return endpoint;
    }

    <T> CompletableFuture<Reply<T>> call(SqlWork<T> work, Duration budget) {
        if (!busy.compareAndSet(false, true)) {
            return CompletableFuture.completedFuture(new Reply.Failure<>(
                    "timeout: the previous check has still not returned after being aborted"));
        }
        CompletableFuture<Reply<T>> answer = new CompletableFuture<>();
        AtomicBoolean expired = new AtomicBoolean();
        ScheduledFuture<?> deadline;
        try {
            deadline = deadlines.schedule(() -> {
                expired.set(true);
                if (answer.complete(new Reply.Failure<>("timeout after " + Magnitudes.duration(budget)))) {
                    abortNow();
                }
            }, budget.toNanos(), TimeUnit.NANOSECONDS);
            worker.execute(() -> {
                Reply<T> reply;
                try {
                    reply = perform(work, budget, expired);
                } catch (RuntimeException | Error e) {
                    reply = new Reply.Failure<>("check failed: " + e);
                } finally {
                    deadline.cancel(false);
                    PgSocketFactory.forget(token);
                    busy.set(false);   // before answering: the caller may call again as soon as it has the answer
                }
                answer.complete(reply);
            });
        } catch (RejectedExecutionException closed) {
            busy.set(false);
            return CompletableFuture.completedFuture(new Reply.Failure<>("check closed"));
        }
        return answer;
    }

    private <T> Reply<T> perform(SqlWork<T> work, Duration budget, AtomicBoolean expired) {
        boolean reused = connection != null;
        try {
            if (!reused) {
                connection = connect(budget);
            }
            return new Reply.Value<>(work.run(connection));
        } catch (SQLException e) {
            boolean broken = PgFailures.isConnectionFailure(e) || isClosed(connection);
            if (broken || expired.get()) {
                drop();
            }
            if (expired.get()) {
                return new Reply.Failure<>("timeout after " + Magnitudes.duration(budget));
            }
            if (!(reused && broken)) {
                return new Reply.Failure<>(PgFailures.describe(e, endpoint));
            }
        }
        // The kept connection broke (server restarted, backend terminated): one fresh attempt within the same budget.
        try {
            connection = connect(budget);
            return new Reply.Value<>(work.run(connection));
        } catch (SQLException e) {
            if (PgFailures.isConnectionFailure(e) || isClosed(connection) || expired.get()) {
                drop();
            }
            return new Reply.Failure<>(expired.get() ? "timeout after " + Magnitudes.duration(budget)
                    : PgFailures.describe(e, endpoint));
        }
    }

    private Connection connect(Duration budget) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", settings.user());
        settings.password().ifPresent(pw -> p.setProperty("password", pw));
        p.setProperty("socketFactory", PgSocketFactory.class.getName());
        p.setProperty(PgSocketFactory.SESSION, token);
        p.setProperty("ApplicationName", applicationName);
        // pgjdbc's TCP connect timeout (whole seconds); the deadline bounds everything else.
        p.setProperty("connectTimeout", Long.toString(Math.max(1, (budget.toMillis() + 999) / 1000)));
        p.setProperty("tcpKeepAlive", "true");
        p.setProperty("prepareThreshold", "1");   // the check's statement is named on the server from its first run
        // A slow custom query is also stopped by the server while it is alive.
        p.setProperty("options", "-c statement_timeout=" + Math.max(1, budget.toMillis()));
        String db = URLEncoder.encode(settings.database(), StandardCharsets.UTF_8);
        String url;
        if (endpoint instanceof PgEndpoint.UnixSocket u) {
            p.setProperty(PgSocketFactory.UNIX_SOCKET, u.socketPath().toString());
            p.setProperty("sslmode", "disable");
            url = "jdbc:postgresql://localhost:" + u.port() + "/" + db;
        } else {
            PgEndpoint.Tcp t = (PgEndpoint.Tcp) endpoint;
            url = "jdbc:postgresql://" + (t.host().contains(":") ? "[" + t.host() + "]" : t.host()) + ":" + t.port() + "/" + db;
        }
        Connection c = DRIVER.connect(url, p);
        if (c == null) {
            throw new SQLException("pgjdbc did not accept the URL " + url);
        }
        return c;
    }

    private void abortNow() {
        Connection c = connection;
        if (c != null) {
            try {
                c.abort(Runnable::run);
            } catch (SQLException | RuntimeException ignored) {
                // closing the sockets below is what matters
            }
        }
        PgSocketFactory.closeAll(token);
    }

    private void drop() {
        Connection c = connection;
        connection = null;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // already broken
            }
        }
        PgSocketFactory.closeAll(token);
    }

    private static boolean isClosed(Connection c) {
        try {
            return c == null || c.isClosed();
        } catch (SQLException e) {
            return true;
        }
    }

    /** Whether a connection is open now (for tests: the connection is kept between checks). */
    boolean connected() {
        return !isClosed(connection);
    }

    Optional<Connection> currentConnection() {
        return Optional.ofNullable(connection);
    }

    @Override
    public void close() {
        worker.shutdownNow();
        abortNow();
        try {
            worker.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        connection = null;
    }
}
