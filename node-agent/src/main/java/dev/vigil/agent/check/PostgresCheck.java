package dev.vigil.agent.check;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The native PostgreSQL check: one round trip on a kept-open connection (one server-prepared statement) tells role,
 * timeline, streaming and replay lag; a custom query may follow; a primary with {@code peers} then asks them for
 * their role and timeline (the split-brain guard, {@link PeerGuard}). {@link PgVerdict} judges. Bounded by
 * {@code timeout} as a whole, whatever the servers do.
 *
 * <p>Cost per run (bench/RESULTS.md, "PostgreSQL check CPU"): a standby never asks its peers (it is not eligible for
 * the write VIP); a primary asks them when its connection or timeline is new, after a failed run, and otherwise at
 * most every {@link #PEER_REFRESH}, judging the runs in between with the peers' last answers; an unchanged
 * observation reuses the last verdict (no detail string built).
 */
public final class PostgresCheck implements Probe {

    /**
     * How old the peers' answers may be when a primary's check is judged with them. A peer promoted while this server
     * stays a healthy primary (a split at the database level with VRRP intact) makes this one ineligible within this
     * long; a returning old primary always asks before its first pass (new connection).
     */
    static final Duration PEER_REFRESH = Duration.ofSeconds(1);

    /** Current timeline: a standby's from its last checkpoint, a primary's from its WAL insert position (exact at once after promotion). */
    static final String TIMELINE = "case when pg_is_in_recovery() then (select timeline_id from pg_control_checkpoint())::bigint"
            + " else ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::bigint end";

    static final String OBSERVE = "select pg_is_in_recovery(),"
            + " current_setting('transaction_read_only')::boolean,"
            + " " + TIMELINE + ","
            + " exists (select 1 from pg_stat_wal_receiver where status = 'streaming'),"
            + " pg_wal_lsn_diff(pg_last_wal_receive_lsn(), '0/0')::bigint,"
            + " pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::bigint";

    static final String PEER = "select pg_is_in_recovery(), " + TIMELINE + ", (select system_identifier from pg_control_system())";

    private final PgCheckSettings settings;
    private final Duration timeout;
    private final ScheduledThreadPoolExecutor deadlines;
    private final boolean ownsDeadlines;
    private final PgSession self;
    private final List<Peer> peers;
    // Touched only on the own session's worker thread:
    private ReplayLagClock lagClock = ReplayLagClock.CAUGHT_UP;
    /** The kept connection the statement below belongs to (a new connection prepares again). */
    private Connection preparedOn;
    private PreparedStatement observeStatement;
    /** Cannot change while a connection lives; asked once per connection (pg_control_system reads pg_control). */
    private long systemIdentifier;
    /** Whether the last observation came from a connection opened for it (server restarted, first run). */
    private boolean observedOnNewConnection;
    // One run at a time (CheckRunner starts none while one is pending); each run's continuations follow the previous
    // run's completion, so these are published by the futures' completion; volatile for the background peer ask.
    private final PeerGuard guard = new PeerGuard();
    private volatile Judged lastJudged;

    /** The last verdict and what it was judged on. */
    private record Judged(PgObservation observation, List<PeerObservation> peers, PgVerdict.Verdict verdict) {}

    /** With its own deadline thread. */
    public PostgresCheck(String name, PgCheckSettings settings, Duration timeout) {
        this(name, settings, timeout, ownDeadlines(name), true);
    }

    /**
     * Deadlines on {@code scheduler}, the thread that starts the runs ({@link CheckRunner}'s): arming a run's deadline
     * then wakes no other thread. It must remove cancelled tasks ({@code setRemoveOnCancelPolicy(true)}), since every
     * run's deadline is cancelled when it answers, and it stays the caller's to shut down.
     */
    public PostgresCheck(String name, PgCheckSettings settings, Duration timeout, ScheduledThreadPoolExecutor scheduler) {
        this(name, settings, timeout, scheduler, false);
    }

    private PostgresCheck(String name, PgCheckSettings settings, Duration timeout, ScheduledThreadPoolExecutor deadlines,
                          boolean ownsDeadlines) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("check " + name + ": timeout must be positive, got " + timeout);
        }
        if (!deadlines.getRemoveOnCancelPolicy()) {
            throw new IllegalArgumentException("check " + name + ": the deadline scheduler must remove cancelled tasks");
        }
        this.settings = settings;
        this.timeout = timeout;
        this.deadlines = deadlines;
        this.ownsDeadlines = ownsDeadlines;
        this.self = new PgSession(name, settings.endpoint(), settings, deadlines);
        this.peers = settings.peers().stream().map(p -> new Peer(new PgSession(name, p, settings, deadlines))).toList();
    }

    private static ScheduledThreadPoolExecutor ownDeadlines(String name) {
        ScheduledThreadPoolExecutor d = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "vigil-check-" + name + "-deadline");
            t.setDaemon(true);
            return t;
        });
        // a run's deadline is cancelled when it answers: removed at once instead of waking the thread when it expires
        d.setRemoveOnCancelPolicy(true);
        return d;
    }

    /**
     * A peer's session and what the last ask said. A peer that did not answer last time is not waited for: it is
     * asked again in the background and reported unreachable with the last reason, so a dead peer host costs a
     * primary's check one timeout once, not at every run.
     */
    private static final class Peer {
        final PgSession session;
        volatile Optional<String> unreachable = Optional.empty();
        // Touched only on the peer session's worker thread:
        Connection preparedOn;
        PreparedStatement statement;

        Peer(PgSession session) {
            this.session = session;
        }
    }

    /**
     * When a primary's check asks its peers, and what they said last. Asked: on the first passing primary run of a
     * connection (a restarted old primary asks before it can pass), when the timeline changed, after a failed run,
     * and when the answers are older than {@link #PEER_REFRESH}. A standby promoted while this check watched (same
     * connection, in recovery at the previous run) is on the newest timeline of the cluster: its first run as a
     * primary asks in the background and passes on what its own server says, so the VIP never waits for a dead old
     * primary's host at promotion.
     */
    private static final class PeerGuard {
        volatile List<PeerObservation> answers = List.of();
        volatile long askedAtNanos;
        volatile long askedOnTimeline = -1;
        volatile boolean valid;
        /** The previous run saw this server in recovery, on the connection still in use. */
        volatile boolean standbyBefore;

        boolean fresh(PgObservation o, boolean newConnection, long now) {
            return valid && !newConnection && askedOnTimeline == o.timeline()
                    && now - askedAtNanos < PEER_REFRESH.toNanos();
        }

        void forget() {
            valid = false;
            answers = List.of();
        }

        void remember(List<PeerObservation> seen, long timeline, long at) {
            answers = seen;
            askedOnTimeline = timeline;
            askedAtNanos = at;
            valid = true;
        }
    }

    @Override
    public CompletableFuture<ProbeResult> run() {
        long t0 = System.nanoTime();
        return self.call(this::observe, timeout).thenCompose(reply -> {
            if (reply instanceof PgSession.Reply.Failure<PgObservation> f) {
                guard.standbyBefore = false;
                guard.forget();
                return CompletableFuture.completedFuture(ProbeResult.fail(f.detail(), since(t0)));
            }
            PgObservation o = ((PgSession.Reply.Value<PgObservation>) reply).value();
            boolean newConnection = observedOnNewConnection;
            boolean promotedInPlace = guard.standbyBefore && !newConnection && !o.inRecovery();
            guard.standbyBefore = o.inRecovery();
            PgVerdict.Verdict alone = judge(o, List.of());
            if (!alone.passed() || o.inRecovery() || peers.isEmpty()) {
                if (!o.inRecovery() && !alone.passed()) {
                    guard.forget();
                }
                return CompletableFuture.completedFuture(new ProbeResult(alone.passed(), alone.detail(), since(t0),
                        o.inRecovery() ? o.replayBehind() : Optional.empty()));
            }
            long now = System.nanoTime();
            if (guard.fresh(o, newConnection, now)) {
                PgVerdict.Verdict v = judge(o, guard.answers);
                return CompletableFuture.completedFuture(new ProbeResult(v.passed(), v.detail(), since(t0)));
            }
            if (promotedInPlace) {
                long timeline = o.timeline();
                askPeers(t0).thenAccept(seen -> guard.remember(seen, timeline, System.nanoTime()));
                return CompletableFuture.completedFuture(new ProbeResult(true, alone.detail(), since(t0)));
            }
            return askPeers(t0).thenApply(seen -> {
                guard.remember(seen, o.timeline(), now);
                PgVerdict.Verdict v = judge(o, seen);
                return new ProbeResult(v.passed(), v.detail(), since(t0));
            });
        });
    }

    /** {@link PgVerdict#judge}, reusing the last verdict when nothing it reads changed (no detail string built). */
    private PgVerdict.Verdict judge(PgObservation o, List<PeerObservation> seen) {
        Judged last = lastJudged;
        if (last != null && o.equals(last.observation()) && seen.equals(last.peers())) {
            return last.verdict();
        }
        PgVerdict.Verdict v = PgVerdict.judge(settings, o, seen);
        lastJudged = new Judged(o, seen, v);
        return v;
    }

    private CompletableFuture<List<PeerObservation>> askPeers(long t0) {
        Duration left = timeout.minus(since(t0));
        List<CompletableFuture<PeerObservation>> asked = new ArrayList<>();
        for (Peer peer : peers) {
            PgEndpoint at = peer.session.endpoint();
            if (left.toMillis() < 1) {
                asked.add(CompletableFuture.completedFuture(new PeerObservation.Unreachable(at,
                        "no time left within the check's timeout")));
                continue;
            }
            Optional<String> before = peer.unreachable;
            CompletableFuture<PeerObservation> answer = peer.session.call(c -> peerState(peer, c, at), left).thenApply(r -> {
                if (r instanceof PgSession.Reply.Value<PeerObservation> v) {
                    peer.unreachable = Optional.empty();
                    return v.value();
                }
                String why = ((PgSession.Reply.Failure<PeerObservation>) r).detail();
                if (!why.startsWith("timeout: the previous check")) {   // still blocked: keep the reason it blocked for
                    peer.unreachable = Optional.of(why);
                }
                return new PeerObservation.Unreachable(at, peer.unreachable.orElse(why));
            });
            asked.add(before.isPresent()
                    ? CompletableFuture.completedFuture(new PeerObservation.Unreachable(at, before.get()))
                    : answer);
        }
        return CompletableFuture.allOf(asked.toArray(CompletableFuture[]::new))
                .thenApply(done -> asked.stream().map(CompletableFuture::join).toList());
    }

    private PgObservation observe(Connection c) throws SQLException {
        PgObservation o;
        observedOnNewConnection = c != preparedOn;
        if (c != preparedOn) {
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("select system_identifier from pg_control_system()")) {
                rs.next();
                systemIdentifier = rs.getLong(1);
            }
            observeStatement = c.prepareStatement(OBSERVE);
            preparedOn = c;
        }
        try (ResultSet rs = observeStatement.executeQuery()) {
            rs.next();
            boolean inRecovery = rs.getBoolean(1);
            long received = rs.getLong(5);
            boolean anyReceived = !rs.wasNull();
            long replayed = rs.getLong(6);
            Optional<Long> behind = Optional.empty();
            Optional<Duration> behindTime = Optional.empty();
            if (inRecovery && anyReceived) {
                long now = System.nanoTime();
                lagClock = lagClock.observe(received, replayed, now);   // only ever touched on the session's worker thread
                behind = Optional.of(Math.max(0, received - replayed));
                behindTime = Optional.of(lagClock.lag(now));
            } else {
                lagClock = ReplayLagClock.CAUGHT_UP;
            }
            o = new PgObservation(inRecovery, rs.getBoolean(2), rs.getLong(3), systemIdentifier, rs.getBoolean(4),
                    behind, behindTime, Optional.empty());
        }
        if (settings.query().isEmpty() || !PgVerdict.judge(settings, o, List.of()).passed()) {
            return o;
        }
        return o.withQueryResult(custom(c, settings.query().get()));
    }

    private static PgObservation.QueryResult custom(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            if (!rs.next()) {
                return new PgObservation.QueryResult.NoRow();
            }
            boolean value = rs.getBoolean(1);
            return new PgObservation.QueryResult.Returned(value && !rs.wasNull());
        } catch (SQLException e) {
            if (PgFailures.isConnectionFailure(e) || c.isClosed()) {
                throw e;
            }
            return new PgObservation.QueryResult.Failed(PgFailures.firstLine(e.getMessage()));
        }
    }

    /** On the peer session's worker thread; one server-prepared statement per peer connection. */
    private static PeerObservation peerState(Peer p, Connection c, PgEndpoint peer) throws SQLException {
        if (c != p.preparedOn) {
            p.statement = c.prepareStatement(PEER);
            p.preparedOn = c;
        }
        try (ResultSet rs = p.statement.executeQuery()) {
            rs.next();
            return new PeerObservation.Answered(peer, rs.getBoolean(1), rs.getLong(2), rs.getLong(3));
        }
    }

    private static Duration since(long t0) {
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    /** Whether the check's own connection is open now (kept between checks). */
    boolean connected() {
        return self.connected();
    }

    @Override
    public void close() {
        self.close();
        peers.forEach(p -> p.session.close());
        if (!ownsDeadlines) {
            return;
        }
        deadlines.shutdownNow();
        try {
            deadlines.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
