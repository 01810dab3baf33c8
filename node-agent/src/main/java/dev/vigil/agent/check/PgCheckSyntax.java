package dev.vigil.agent.check;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the statements of a {@code pg_check { }} block (inside a {@code vrrp_script}) into {@link PgCheckSettings}.
 * The config parser hands over each statement's keyword, values and line, and turns every {@link Problem} into a
 * {@code file:line: error: message} finding. Pure; nothing here throws on bad input.
 *
 * <pre>
 * pg_check {
 *     role primary                 # primary | replica | any (default any)
 *     host /var/run/postgresql     # a socket directory (starts with /) or a TCP address; default /var/run/postgresql
 *     port 5432
 *     dbname postgres
 *     user postgres
 *     password secret              # optional; default: ~/.pgpass of the agent's user, or trust/peer
 *     max_lag_bytes 16MB
 *     max_lag_time 5s
 *     query "select count(*) &gt; 0 from pg_stat_activity"
 *     peers 192.0.2.12 192.0.2.13:5433
 *     prefer_least_lag 1MB 20      # replica/any: priority -1 per MB of replay lag, at most -20 (default 50)
 * }
 * </pre>
 */
public final class PgCheckSyntax {

    /** One statement of the block, with where it was written ({@code P}: the config parser's file:line). */
    public record Line<P>(String keyword, List<String> args, P at) {
        public Line {
            args = List.copyOf(args);
        }
    }

    /** What is wrong, and where. */
    public record Problem<P>(P at, String message) {}

    /** Settings when the block has no problem; the problems otherwise. */
    public record Parsed<P>(Optional<PgCheckSettings> settings, List<Problem<P>> problems) {
        public Parsed {
            problems = List.copyOf(problems);
        }
    }

    public static final List<String> KEYWORDS = List.of("role", "host", "port", "dbname", "user", "password",
            "max_lag_bytes", "max_lag_time", "query", "peers", "prefer_least_lag");

    private PgCheckSyntax() {
    }

    /** {@code blockAt}: where the {@code pg_check} keyword is, for problems of the block as a whole. */
    public static <P> Parsed<P> read(String scriptName, List<Line<P>> lines, P blockAt) {
        String ctx = "vrrp_script " + scriptName + " pg_check: ";
        List<Problem<P>> problems = new ArrayList<>();
        Map<String, P> seen = new HashMap<>();
        PgRole role = PgRole.ANY;
        String host = PgCheckSettings.DEFAULT_SOCKET_DIR.toString();
        int port = PgCheckSettings.DEFAULT_PORT;
        String db = "postgres";
        String user = "postgres";
        Optional<String> password = Optional.empty();
        Optional<Long> lagBytes = Optional.empty();
        Optional<Duration> lagTime = Optional.empty();
        Optional<String> query = Optional.empty();
        List<String> peerWords = new ArrayList<>();
        P peersAt = blockAt;
        Optional<LagPreference> preferLeastLag = Optional.empty();
        for (Line<P> l : lines) {
            String k = l.keyword();
            if (!KEYWORDS.contains(k)) {
                problems.add(new Problem<>(l.at(), ctx + "unknown keyword '" + k + "' (expected one of "
                        + String.join(", ", KEYWORDS) + ")"));
                continue;
            }
            P before = seen.put(k, l.at());
            if (before != null) {
                problems.add(new Problem<>(l.at(), ctx + "'" + k + "' given twice (first at " + before + ")"));
                continue;
            }
            if (k.equals("peers")) {
                if (l.args().isEmpty()) {
                    problems.add(new Problem<>(l.at(), ctx + "'peers' needs at least one address"));
                }
                peerWords.addAll(l.args());
                peersAt = l.at();
                continue;
            }
            if (k.equals("prefer_least_lag")) {
                preferLeastLag = lagPreference(l, ctx, problems);
                continue;
            }
            if (l.args().size() != 1) {
                problems.add(new Problem<>(l.at(), ctx + "'" + k + "' takes exactly one value, got " + l.args().size()));
                continue;
            }
            String v = l.args().get(0);
            switch (k) {
                case "role" -> {
                    Optional<PgRole> r = PgRole.parse(v);
                    if (r.isEmpty()) {
                        problems.add(new Problem<>(l.at(), ctx + "role '" + v + "' is not primary, replica or any"));
                    } else {
                        role = r.get();
                    }
                }
                case "host" -> host = v;
                case "port" -> {
                    Optional<Integer> p = port(v);
                    if (p.isEmpty()) {
                        problems.add(new Problem<>(l.at(), ctx + "port '" + v + "' is not a number in 1..65535"));
                    } else {
                        port = p.get();
                    }
                }
                case "dbname" -> db = v;
                case "user" -> user = v;
                case "password" -> password = Optional.of(v);
                case "max_lag_bytes" -> {
                    lagBytes = Magnitudes.parseBytes(v);
                    if (lagBytes.isEmpty()) {
                        problems.add(new Problem<>(l.at(), ctx + "max_lag_bytes '" + v
                                + "' is not a size (e.g. 16MB, 512kB, 1048576)"));
                    }
                }
                case "max_lag_time" -> {
                    lagTime = Magnitudes.parseDuration(v);
                    if (lagTime.isEmpty() || lagTime.get().isZero()) {
                        problems.add(new Problem<>(l.at(), ctx + "max_lag_time '" + v
                                + "' is not a positive duration (e.g. 5s, 500ms, 0.5)"));
                    }
                }
                case "query" -> {
                    if (v.isBlank()) {
                        problems.add(new Problem<>(l.at(), ctx + "query is empty"));
                    } else {
                        query = Optional.of(v);
                    }
                }
                default -> throw new IllegalStateException("keyword list and switch disagree on " + k);
            }
        }
        List<PgEndpoint> peers = new ArrayList<>();
        for (String w : peerWords) {
            Optional<PgEndpoint> p = peer(w, port);
            if (p.isEmpty()) {
                problems.add(new Problem<>(peersAt, ctx + "peer '" + w
                        + "' is not ADDRESS or ADDRESS:PORT (IPv6 as [ADDRESS]:PORT)"));
            } else {
                peers.add(p.get());
            }
        }
        if (role != PgRole.PRIMARY && !peerWords.isEmpty()) {
            problems.add(new Problem<>(peersAt, ctx + "'peers' guards a primary against a split brain; it needs 'role primary'"));
        }
        if (role == PgRole.PRIMARY && (lagBytes.isPresent() || lagTime.isPresent())) {
            P at = seen.getOrDefault("max_lag_bytes", seen.getOrDefault("max_lag_time", blockAt));
            problems.add(new Problem<>(at, ctx + "lag thresholds apply to servers in recovery; 'role primary' never has lag"));
        }
        if (role == PgRole.PRIMARY && seen.containsKey("prefer_least_lag")) {
            problems.add(new Problem<>(seen.get("prefer_least_lag"), ctx
                    + "prefer_least_lag ranks servers in recovery; 'role primary' never has lag"));
        }
        if (!problems.isEmpty()) {
            return new Parsed<>(Optional.empty(), problems);
        }
        PgEndpoint endpoint = host.startsWith("/") ? new PgEndpoint.UnixSocket(Path.of(host), port)
                : new PgEndpoint.Tcp(stripBrackets(host), port);
        return new Parsed<>(Optional.of(new PgCheckSettings(role, endpoint, db, user, password, lagBytes, lagTime, query,
                peers, preferLeastLag)), List.of());
    }

    /** {@code prefer_least_lag STEP [MAX]}: STEP a size (one priority point per STEP of lag), MAX in 1..253. */
    private static <P> Optional<LagPreference> lagPreference(Line<P> l, String ctx, List<Problem<P>> problems) {
        if (l.args().isEmpty() || l.args().size() > 2) {
            problems.add(new Problem<>(l.at(), ctx + "'prefer_least_lag' takes a step and an optional maximum"
                    + " (e.g. prefer_least_lag 1MB 20), got " + l.args().size() + " value(s)"));
            return Optional.empty();
        }
        Optional<Long> step = Magnitudes.parseBytes(l.args().get(0));
        if (step.isEmpty() || step.get() <= 0) {
            problems.add(new Problem<>(l.at(), ctx + "prefer_least_lag step '" + l.args().get(0)
                    + "' is not a positive size (e.g. 1MB, 512kB)"));
            return Optional.empty();
        }
        int max = LagPreference.DEFAULT_MAX_PENALTY;
        if (l.args().size() == 2) {
            String m = l.args().get(1);
            try {
                max = Integer.parseInt(m);
            } catch (NumberFormatException e) {
                max = -1;
            }
            if (max < 1 || max > 253) {
                problems.add(new Problem<>(l.at(), ctx + "prefer_least_lag maximum '" + m + "' is not a number in 1..253"));
                return Optional.empty();
            }
        }
        return Optional.of(new LagPreference(step.get(), max));
    }

    private static Optional<Integer> port(String v) {
        try {
            int p = Integer.parseInt(v);
            return p >= 1 && p <= 65535 ? Optional.of(p) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** "192.0.2.12", "192.0.2.12:5433", "db2.example", "[2001:db8::12]:5433", "2001:db8::12". */
    static Optional<PgEndpoint> peer(String word, int defaultPort) {
        String host = word;
        int port = defaultPort;
        if (word.startsWith("[")) {
            int close = word.indexOf(']');
            if (close < 0) {
                return Optional.empty();
            }
            host = word.substring(1, close);
            String rest = word.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    return Optional.empty();
                }
                Optional<Integer> p = port(rest.substring(1));
                if (p.isEmpty()) {
                    return Optional.empty();
                }
                port = p.get();
            }
        } else if (word.indexOf(':') >= 0 && word.indexOf(':') == word.lastIndexOf(':')) {
            int colon = word.indexOf(':');
            host = word.substring(0, colon);
            Optional<Integer> p = port(word.substring(colon + 1));
            if (p.isEmpty()) {
                return Optional.empty();
            }
            port = p.get();
        }
        if (host.isEmpty() || host.startsWith("/") || !host.matches("[A-Za-z0-9.:_%-]+")) {
            return Optional.empty();
        }
        return Optional.of(new PgEndpoint.Tcp(host, port));
    }

    private static String stripBrackets(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }
}
