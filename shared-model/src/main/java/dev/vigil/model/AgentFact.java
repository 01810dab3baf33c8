package dev.vigil.model;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

import static java.util.Collections.unmodifiableSortedMap;

/**
 * What an agent observed. The set is closed: the coordinator must understand every fact it
 * stores, so a new kind of fact is a new record here and a new wire name in {@link FactType}.
 * Durations are nanoseconds from the agent's monotonic clock, never wall-clock differences.
 */
public sealed interface AgentFact {

    /** The agent process started; a new boot id begins with this fact at sequence 1. */
    record AgentStarted(String agentVersion, String hostname, long pid) implements AgentFact {
        public AgentStarted {
            Objects.requireNonNull(agentVersion, "agentVersion");
            Objects.requireNonNull(hostname, "hostname");
        }
    }

    /** The agent is shutting down (SIGTERM, fatal error); its VIPs are being released. */
    record AgentStopping(String reason) implements AgentFact {
        public AgentStopping {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** A configuration was loaded (at start or on SIGHUP); the hash tells reviewers which one. */
    record ConfigLoaded(String configPath, String configSha256, int routerCount) implements AgentFact {
        public ConfigLoaded {
            Objects.requireNonNull(configPath, "configPath");
            Objects.requireNonNull(configSha256, "configSha256");
        }
    }

    /**
     * A virtual router changed state. {@code cause} is the human-readable why ("master-down timer
     * expired 361 ms after the last advert from 192.0.2.11"); {@code masterSeen} is the address of
     * the master this router last heard, if any.
     */
    record RouterStateChanged(RouterRef router, RouterState from, RouterState to, String cause,
                              int basePriority, int effectivePriority, Optional<String> masterSeen)
            implements AgentFact {
        public RouterStateChanged {
            Objects.requireNonNull(router, "router");
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
            Objects.requireNonNull(cause, "cause");
            Objects.requireNonNull(masterSeen, "masterSeen");
        }
    }

    /** VIPs were added on this host; {@code kernelAccepted} false means netlink refused them. */
    record VipsAdded(RouterRef router, List<String> addresses, boolean kernelAccepted, String detail)
            implements AgentFact {
        public VipsAdded {
            Objects.requireNonNull(router, "router");
            addresses = List.copyOf(addresses);
            Objects.requireNonNull(detail, "detail");
        }
    }

    /** VIPs were removed from this host. */
    record VipsRemoved(RouterRef router, List<String> addresses, boolean kernelAccepted, String detail)
            implements AgentFact {
        public VipsRemoved {
            Objects.requireNonNull(router, "router");
            addresses = List.copyOf(addresses);
            Objects.requireNonNull(detail, "detail");
        }
    }

    /** A tracker (script, interface, file, PostgreSQL check) changed its verdict. */
    record TrackerResultChanged(String tracker, String kind, boolean healthy, String detail, long latencyNanos)
            implements AgentFact {
        public TrackerResultChanged {
            Objects.requireNonNull(tracker, "tracker");
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(detail, "detail");
        }
    }

    /** A router's effective priority changed because of the named tracker. */
    record PriorityChanged(RouterRef router, int from, int to, String tracker) implements AgentFact {
        public PriorityChanged {
            Objects.requireNonNull(router, "router");
            Objects.requireNonNull(tracker, "tracker");
        }
    }

    /** Adverts dropped in a window, counted by reason (rate-limited: one fact per window). */
    record AdvertsRejected(RouterRef router, Map<String, Long> countsByReason, long windowNanos)
            implements AgentFact {
        public AdvertsRejected {
            Objects.requireNonNull(router, "router");
            countsByReason = unmodifiableSortedMap(new TreeMap<>(countsByReason));
        }
    }

    /** A notify script ran for a router or group ({@code scope}) on a transition. */
    record NotifyScriptRan(String scope, String script, String transition, int exitCode, long durationNanos)
            implements AgentFact {
        public NotifyScriptRan {
            Objects.requireNonNull(scope, "scope");
            Objects.requireNonNull(script, "script");
            Objects.requireNonNull(transition, "transition");
        }
    }

    /**
     * The agent's outbox was full and dropped lower-value facts (never a state or VIP change) instead
     * of growing without bound: how many of each type, over which stretch of the monotonic clock.
     */
    record FactsThinned(Map<String, Long> droppedByType, long firstDroppedNanos, long lastDroppedNanos,
                        String reason) implements AgentFact {
        public FactsThinned {
            droppedByType = unmodifiableSortedMap(new TreeMap<>(droppedByType));
            Objects.requireNonNull(reason, "reason");
        }
    }
}
