package dev.vigil.coordinator.projection;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;

/** What a reviewer asks about, derived from agent facts; never stored as truth, always recomputable. */
public sealed interface ReviewFact {
    RouterKey router();

    Instant at();

    /** An agent became master; {@code noMasterGap} is how long the router had none before. */
    record MasterChanged(RouterKey router, Instant at, Optional<String> fromAgent, String toAgent, String cause,
                         Optional<Duration> noMasterGap) implements ReviewFact {
    }

    /** The VIPs left one agent and arrived on another; {@code gap} from removal to addition (negative: overlap). */
    record VipMoved(RouterKey router, Instant at, String fromAgent, String toAgent, List<String> addresses,
                    Optional<Duration> gap) implements ReviewFact {
    }

    /** A period in which no agent was master; {@code until} empty while it lasts. */
    record NoMaster(RouterKey router, Instant at, Optional<Instant> until, String lastMaster) implements ReviewFact {
    }

    /** Two or more agents master of one router at once, judged by {@link Basis}. */
    record SplitBrain(RouterKey router, Instant at, Optional<Instant> until, SortedSet<String> masters, Basis basis)
            implements ReviewFact {
    }

    /** An agent changed state {@code transitions} times within the policy window. */
    record Flapping(RouterKey router, Instant at, String agentId, int transitions, Instant until) implements ReviewFact {
    }

    /** A tracker turned unhealthy on the agent that was master. */
    record TrackerFailedOnMaster(RouterKey router, Instant at, String agentId, String tracker, String detail)
            implements ReviewFact {
    }

    /** Which clock orders the facts: each agent's own wall clock, or the coordinator's arrival order. */
    enum Basis { AGENT_CLOCK, ARRIVAL }
}
