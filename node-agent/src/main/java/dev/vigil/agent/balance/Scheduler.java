package dev.vigil.agent.balance;

import dev.vigil.agent.config.Scheduling;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * Picks a real server for a new connection among the eligible ones, as IPVS's schedulers of the same names do.
 * Pure and deterministic: the same calls give the same picks. Not thread-safe (one per virtual server, used on
 * its event loop).
 *
 * <ul>
 *   <li>{@code rr}: the next eligible server after the last one picked, in configuration order.</li>
 *   <li>{@code wrr}: IPVS's interleaved weighted round robin (weights 3 and 1 give A A A B).</li>
 *   <li>{@code lc}: fewest open connections; ties go to the first in configuration order.</li>
 *   <li>{@code wlc}: fewest open connections per unit of weight; ties as lc.</li>
 *   <li>{@code sh}: weighted rendezvous hashing of the client address: a client keeps its server while that server
 *       stays eligible, whatever happens to the others (IPVS rebuilds a bucket table instead; the intent is the same).</li>
 * </ul>
 */
final class Scheduler {

    /** One eligible server: its position in the configuration, weight (&gt; 0), open connections, stable key. */
    record Candidate(int id, int weight, int active, String key) {}

    private final Scheduling kind;
    private int lastId = Integer.MAX_VALUE;
    private int currentWeight;

    Scheduler(Scheduling kind) {
        this.kind = kind;
    }

    /** {@code eligible} in configuration order; {@code client} the client's address bytes (sh only). */
    Optional<Candidate> pick(List<Candidate> eligible, byte[] client) {
        if (eligible.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(switch (kind) {
            case RR -> roundRobin(eligible);
            case WRR -> weightedRoundRobin(eligible);
            case LC -> leastConnections(eligible, false);
            case WLC -> leastConnections(eligible, true);
            case SH -> sourceHash(eligible, client);
        });
    }

    private Candidate roundRobin(List<Candidate> list) {
        for (Candidate c : list) {
            if (c.id() > lastId) {
                lastId = c.id();
                return c;
            }
        }
        lastId = list.get(0).id();
        return list.get(0);
    }

    private Candidate weightedRoundRobin(List<Candidate> list) {
        int n = list.size();
        int max = 0;
        int g = 0;
        for (Candidate c : list) {
            max = Math.max(max, c.weight());
            g = gcd(g, c.weight());
        }
        if (currentWeight > max) {
            currentWeight = max;
        }
        int idx = n;
        for (int i = 0; i < n; i++) {
            if (list.get(i).id() > lastId) {
                idx = i;
                break;
            }
        }
        // at most max/g rounds over the list find a server (the heaviest qualifies at every level)
        for (long step = 0; step <= (long) n * (max / g + 1); step++) {
            if (idx >= n) {
                idx = 0;
                currentWeight -= g;
                if (currentWeight <= 0) {
                    currentWeight = max;
                }
            }
            Candidate c = list.get(idx);
            if (c.weight() >= currentWeight) {
                lastId = c.id();
                return c;
            }
            idx++;
        }
        throw new IllegalStateException("wrr found no server among " + list);
    }

    private static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    private static Candidate leastConnections(List<Candidate> list, boolean weighted) {
        Candidate best = list.get(0);
        for (Candidate c : list.subList(1, list.size())) {
            boolean fewer = weighted
                    ? (long) c.active() * best.weight() < (long) best.active() * c.weight()
                    : c.active() < best.active();
            if (fewer) {
                best = c;
            }
        }
        return best;
    }

    private static Candidate sourceHash(List<Candidate> list, byte[] client) {
        Candidate best = null;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (Candidate c : list) {
            long h = mix(fnv(client, fnv(c.key().getBytes(StandardCharsets.UTF_8), 0xcbf29ce484222325L)));
            double u = ((h >>> 11) + 0.5) / (1L << 53);   // uniform in (0, 1)
            double score = c.weight() / -Math.log(u);
            if (score > bestScore) {
                bestScore = score;
                best = c;
            }
        }
        return best;
    }

    private static long fnv(byte[] bytes, long h) {
        for (byte b : bytes) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    /** splitmix64's finaliser: FNV alone leaves the high bits poorly mixed for short keys. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
