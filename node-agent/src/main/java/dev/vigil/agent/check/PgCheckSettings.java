package dev.vigil.agent.check;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@code pg_check { }} block: what to connect to and what counts as healthy. Interval, timeout, rise, fall and
 * weight stay on the enclosing {@code vrrp_script}, as for any tracker.
 *
 * @param endpoint    the server checked (default the unix socket {@code /var/run/postgresql}, port 5432)
 * @param password    none by default: pgjdbc then reads {@code ~/.pgpass} of the agent's user, or trust/peer applies
 * @param maxLagBytes a server in recovery fails when replay is this far behind what it received
 * @param maxLagTime  ... or when replay is behind and the last replayed commit is older than this
 * @param query       custom SQL that must return one row whose first column is true
 * @param peers       other database servers of the cluster, asked over SQL by a primary (split-brain guard)
 * @param preferLeastLag a priority that falls with replay lag ({@code prefer_least_lag}), so the least lagging
 *                    healthy replica wins; the daemon applies it, the check only reports the lag
 */
public record PgCheckSettings(PgRole role, PgEndpoint endpoint, String database, String user, Optional<String> password,
                              Optional<Long> maxLagBytes, Optional<Duration> maxLagTime, Optional<String> query,
                              List<PgEndpoint> peers, Optional<LagPreference> preferLeastLag) {

    public static final Path DEFAULT_SOCKET_DIR = Path.of("/var/run/postgresql");
    public static final int DEFAULT_PORT = 5432;

    public PgCheckSettings {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        Objects.requireNonNull(maxLagBytes, "maxLagBytes");
        Objects.requireNonNull(maxLagTime, "maxLagTime");
        Objects.requireNonNull(query, "query");
        peers = List.copyOf(peers);
        Objects.requireNonNull(preferLeastLag, "preferLeastLag");
    }

    /** Without a lag preference (the shape before {@code prefer_least_lag}; kept for callers that build settings). */
    public PgCheckSettings(PgRole role, PgEndpoint endpoint, String database, String user, Optional<String> password,
                           Optional<Long> maxLagBytes, Optional<Duration> maxLagTime, Optional<String> query,
                           List<PgEndpoint> peers) {
        this(role, endpoint, database, user, password, maxLagBytes, maxLagTime, query, peers, Optional.empty());
    }

    /** Role {@code role} on the local socket with every default. */
    public static PgCheckSettings of(PgRole role) {
        return new PgCheckSettings(role, new PgEndpoint.UnixSocket(DEFAULT_SOCKET_DIR, DEFAULT_PORT), "postgres",
                "postgres", Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), List.of());
    }

    /** Never prints the password (settings end up in logs and config dumps). */
    @Override
    public String toString() {
        return "PgCheckSettings[role=" + role.word() + ", endpoint=" + endpoint.describe() + ", database=" + database
                + ", user=" + user + ", password=" + (password.isPresent() ? "(set)" : "(none)") + ", maxLagBytes="
                + maxLagBytes.map(Magnitudes::bytes).orElse("-") + ", maxLagTime="
                + maxLagTime.map(Magnitudes::duration).orElse("-") + ", query=" + query.orElse("-") + ", peers="
                + peers.stream().map(PgEndpoint::describe).toList()
                + preferLeastLag.map(p -> ", preferLeastLag=" + Magnitudes.bytes(p.stepBytes()) + " max " + p.maxPenalty())
                .orElse("") + "]";
    }

    public PgCheckSettings withEndpoint(PgEndpoint e) {
        return new PgCheckSettings(role, e, database, user, password, maxLagBytes, maxLagTime, query, peers, preferLeastLag);
    }

    public PgCheckSettings withMaxLagBytes(long bytes) {
        return new PgCheckSettings(role, endpoint, database, user, password, Optional.of(bytes), maxLagTime, query, peers, preferLeastLag);
    }

    public PgCheckSettings withMaxLagTime(Duration time) {
        return new PgCheckSettings(role, endpoint, database, user, password, maxLagBytes, Optional.of(time), query, peers, preferLeastLag);
    }

    public PgCheckSettings withQuery(String sql) {
        return new PgCheckSettings(role, endpoint, database, user, password, maxLagBytes, maxLagTime, Optional.of(sql), peers, preferLeastLag);
    }

    public PgCheckSettings withPreferLeastLag(LagPreference p) {
        return new PgCheckSettings(role, endpoint, database, user, password, maxLagBytes, maxLagTime, query, peers,
                Optional.of(p));
    }

    public PgCheckSettings withPeers(List<PgEndpoint> list) {
        return new PgCheckSettings(role, endpoint, database, user, password, maxLagBytes, maxLagTime, query, list, preferLeastLag);
    }
}
