package dev.vigil.coordinator.projection;

import dev.vigil.model.AgentFact;
import dev.vigil.model.EventEnvelope;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The story of a window, one line per fact in agent time: what each agent said, interleaved with what
 * the review fold concluded (moves with their gap, failovers with their outage, incidents). Pure.
 */
public final class Narrative {
    private Narrative() {
    }

    /** One line; {@code eventId} is the stored event it tells (empty for conclusions of the fold). */
    public record Line(Instant at, String agentId, String kind, String text, Optional<Long> eventId) {
    }

    public static List<Line> tell(List<StoredEvent> events, List<ReviewFact> review) {
        List<Line> out = new ArrayList<>();
        for (StoredEvent e : events) {
            EventEnvelope env = e.observed().envelope();
            out.add(new Line(env.time(), env.agentId(), env.fact().getClass().getSimpleName(), say(env),
                    Optional.of(e.id())));
        }
        for (ReviewFact f : review) {
            conclude(f).ifPresent(text -> out.add(new Line(f.at(), "-", f.getClass().getSimpleName(), text,
                    Optional.empty())));
        }
        out.sort(Comparator.comparing(Line::at)); // stable: facts before the conclusions drawn from them
        return List.copyOf(out);
    }

    static String say(EventEnvelope e) {
        String a = e.agentId();
        AgentFact f = e.fact();
        if (f instanceof AgentFact.AgentStarted s) {
            return a + " started (vigil " + s.agentVersion() + ", pid " + s.pid() + ")";
        } else if (f instanceof AgentFact.AgentStopping s) {
            return a + " stopping: " + s.reason();
        } else if (f instanceof AgentFact.ConfigLoaded c) {
            return a + " loaded " + c.configPath() + " (" + c.routerCount() + " routers)";
        } else if (f instanceof AgentFact.RouterStateChanged s) {
            return a + " became " + s.to() + " of " + s.router().instance() + " (VRID " + s.router().vrid()
                    + ", was " + s.from() + ", priority " + s.effectivePriority() + "): " + s.cause();
        } else if (f instanceof AgentFact.VipsAdded v) {
            return a + " added " + String.join(", ", v.addresses()) + " on " + v.router().instance()
                    + (v.kernelAccepted() ? "" : " but the kernel refused: " + v.detail());
        } else if (f instanceof AgentFact.VipsRemoved v) {
            return a + " removed " + String.join(", ", v.addresses()) + " from " + v.router().instance();
        } else if (f instanceof AgentFact.TrackerResultChanged t) {
            return a + " tracker " + t.tracker() + " " + (t.healthy() ? "healthy" : "FAILED") + ": " + t.detail();
        } else if (f instanceof AgentFact.PriorityChanged p) {
            return a + " priority of " + p.router().instance() + " " + p.from() + " -> " + p.to() + " (" + p.tracker() + ")";
        } else if (f instanceof AgentFact.AdvertsRejected r) {
            return a + " rejected adverts on " + r.router().instance() + ": " + r.countsByReason();
        } else if (f instanceof AgentFact.NotifyScriptRan n) {
            return a + " ran " + n.script() + " for " + n.transition() + ": exit " + n.exitCode() + " after "
                    + n.durationNanos() / 1_000_000 + " ms";
        }
        return a + " " + f.getClass().getSimpleName();
    }

    static Optional<String> conclude(ReviewFact f) {
        if (f instanceof ReviewFact.VipMoved v) {
            return Optional.of("VIP " + String.join(", ", v.addresses()) + " moved " + v.fromAgent() + " -> "
                    + v.toAgent() + v.gap().map(g -> " after " + ms(g) + " without a master").orElse(""));
        } else if (f instanceof ReviewFact.MasterChanged m && m.noMasterGap().isPresent()) {
            return Optional.of("failover of " + m.router() + " " + m.fromAgent().orElse("?") + " -> " + m.toAgent()
                    + ": outage " + ms(m.noMasterGap().get()));
        } else if (f instanceof ReviewFact.SplitBrain s) {
            return Optional.of("SPLIT BRAIN on " + s.router() + " (" + s.basis() + "): masters "
                    + s.masters().stream().collect(Collectors.joining(", "))
                    + s.until().map(u -> " for " + ms(Duration.between(s.at(), u))).orElse(", still open"));
        } else if (f instanceof ReviewFact.Flapping fl) {
            return Optional.of(fl.agentId() + " flapping on " + fl.router() + ": " + fl.transitions() + " transitions until "
                    + fl.until());
        } else if (f instanceof ReviewFact.TrackerFailedOnMaster t) {
            return Optional.of("tracker " + t.tracker() + " failed on master " + t.agentId() + " of " + t.router());
        }
        return Optional.empty(); // NoMaster is told by its failover line; a first master by its agent's line
    }

    private static String ms(Duration d) {
        return d.toMillis() + " ms";
    }
}
