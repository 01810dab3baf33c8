package dev.vigil.agent.balance;

import dev.vigil.agent.check.Hysteresis;
import dev.vigil.agent.check.TrackerStatus;
import dev.vigil.agent.config.RealServer;
import dev.vigil.agent.config.VirtualServer;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One virtual server's real servers as a pure state machine: check results (through keepalived's rise/fall
 * {@link Hysteresis}) decide who is up, the quorum decides whether the pool serves, the {@link Scheduler} picks a
 * server for each new connection, and {@code persistence_timeout} keeps a client on its server. No I/O, no clock:
 * times come in as monotonic nanoseconds. Used on one event loop.
 */
final class Pool {

    private static final class Member {
        final RealServer server;
        final String name;
        final Hysteresis[] checks;
        final String[] details;
        boolean up;
        int weight;
        int active;

        Member(RealServer server, boolean alpha) {
            this.server = server;
            this.name = server.address().describe();
            this.checks = new Hysteresis[server.checks().size()];
            this.details = new String[checks.length];
            for (int i = 0; i < checks.length; i++) {
                var t = server.checks().get(i).timing();
                checks[i] = Hysteresis.start(t.rise(), t.fall(), alpha);
                details[i] = "not checked yet";
            }
            this.weight = server.weight();
            this.up = healthy();
        }

        /** Every check passes; a check not run yet counts as passing unless {@code alpha} (keepalived). */
        boolean healthy() {
            for (Hysteresis h : checks) {
                if (h.status() == TrackerStatus.FAILED) {
                    return false;
                }
            }
            return true;
        }
    }

    private record Sticky(int member, int open, long lastEndNanos) {}

    private final VirtualServer vs;
    private final List<Member> members = new ArrayList<>();
    private final Scheduler scheduler;
    private final Map<InetAddress, Sticky> sticky = new HashMap<>();
    private boolean quorum;

    Pool(VirtualServer vs) {
        this.vs = vs;
        for (RealServer r : vs.realServers()) {
            members.add(new Member(r, vs.alpha()));
        }
        this.scheduler = new Scheduler(vs.scheduling());
        this.quorum = healthyWeight() >= vs.quorum();
    }

    VirtualServer virtualServer() {
        return vs;
    }

    int size() {
        return members.size();
    }

    String name(int member) {
        return members.get(member).name;
    }

    boolean isUp(int member) {
        return members.get(member).up;
    }

    int active(int member) {
        return members.get(member).active;
    }

    int weight(int member) {
        return members.get(member).weight;
    }

    boolean hasQuorum() {
        return quorum;
    }

    /** The last detail of each of a server's checks, for the log and the admin view. */
    List<String> details(int member) {
        return List.of(members.get(member).details);
    }

    private int healthyWeight() {
        int sum = 0;
        for (Member m : members) {
            if (m.up) {
                sum += m.weight;
            }
        }
        return sum;
    }

    /**
     * One result of check {@code check} of server {@code member}; {@code weight} is a MISC_CHECK with
     * {@code misc_dynamic} setting the server's weight. Returns what changed, in order.
     */
    List<PoolEvent> checkResult(int member, int check, boolean passed, String detail, Optional<Integer> weight) {
        Member m = members.get(member);
        m.checks[check] = m.checks[check].next(passed);
        m.details[check] = detail;
        List<PoolEvent> out = new ArrayList<>();
        weight.ifPresent(w -> m.weight = w);
        boolean nowUp = m.healthy();
        if (nowUp != m.up) {
            m.up = nowUp;
            String label = m.server.checks().get(check).describe() + ": " + detail;
            out.add(nowUp ? new PoolEvent.ServerUp(member, m.name, label)
                    : new PoolEvent.ServerDown(member, m.name, label, !m.server.inhibitOnFailure()));
        }
        int w = healthyWeight();
        if (quorum && w < vs.quorum() - vs.hysteresis()) {
            quorum = false;
            out.add(new PoolEvent.QuorumLost(w, vs.quorum()));
        } else if (!quorum && w >= vs.quorum() + vs.hysteresis()) {
            quorum = true;
            out.add(new PoolEvent.QuorumGained(w, vs.quorum()));
        }
        return out;
    }

    /**
     * Where a new connection from {@code client} goes, leaving out {@code tried} (servers that refused this very
     * connection). The caller reports {@link #opened} once connected.
     */
    Choice choose(InetAddress client, long nowNanos, Set<Integer> tried) {
        if (!quorum) {
            return vs.sorryServer().<Choice>map(s -> new Choice.ToSorry(s, "quorum lost"))
                    .orElseGet(() -> new Choice.Refuse("quorum lost (healthy weight " + healthyWeight() + " < "
                            + vs.quorum() + ")"));
        }
        Optional<Duration> persistence = vs.persistence();
        if (persistence.isPresent()) {
            Sticky s = sticky.get(client);
            if (s != null) {
                boolean fresh = s.open() > 0 || nowNanos - s.lastEndNanos() < persistence.get().toNanos();
                if (fresh && eligible(s.member()) && !tried.contains(s.member())) {
                    return new Choice.ToReal(s.member(), members.get(s.member()).server.address());
                }
            }
        }
        List<Scheduler.Candidate> candidates = new ArrayList<>();
        for (int i = 0; i < members.size(); i++) {
            if (eligible(i) && !tried.contains(i)) {
                Member m = members.get(i);
                candidates.add(new Scheduler.Candidate(i, m.weight, m.active, m.name));
            }
        }
        Optional<Scheduler.Candidate> c = scheduler.pick(candidates, client.getAddress());
        if (c.isEmpty()) {
            String why = tried.isEmpty() ? "no real server is up" : "no other real server is up";
            return vs.sorryServer().<Choice>map(s -> new Choice.ToSorry(s, why)).orElseGet(() -> new Choice.Refuse(why));
        }
        return new Choice.ToReal(c.get().id(), members.get(c.get().id()).server.address());
    }

    private boolean eligible(int i) {
        Member m = members.get(i);
        return m.up && m.weight > 0;
    }

    /** A connection to {@code member} is established (counts for lc/wlc and persistence). */
    void opened(int member, InetAddress client) {
        members.get(member).active++;
        if (vs.persistence().isPresent()) {
            Sticky s = sticky.get(client);
            sticky.put(client, s != null && s.member() == member ? new Sticky(member, s.open() + 1, s.lastEndNanos())
                    : new Sticky(member, 1, 0));
        }
    }

    /** A connection to {@code member} ended. */
    void closed(int member, InetAddress client, long nowNanos) {
        members.get(member).active--;
        Sticky s = sticky.get(client);
        if (s != null && s.member() == member) {
            sticky.put(client, new Sticky(member, Math.max(0, s.open() - 1), nowNanos));
        }
    }

    /** Forgets clients whose persistence ran out; the shell calls it now and then. */
    void expire(long nowNanos) {
        long timeout = vs.persistence().map(Duration::toNanos).orElse(0L);
        for (Iterator<Sticky> it = sticky.values().iterator(); it.hasNext(); ) {
            Sticky s = it.next();
            if (s.open() == 0 && nowNanos - s.lastEndNanos() >= timeout) {
                it.remove();
            }
        }
    }

    int stickyClients() {
        return sticky.size();
    }
}
