package dev.vigil.agent.check;

import java.util.ArrayList;
import java.util.List;

/**
 * Judges an observation against the settings: pure, so every detail string is unit-tested. The first reason to
 * fail wins; a pass says what was seen ("primary on timeline 2", "replica streaming, replay lag 0 B").
 */
public final class PgVerdict {

    private PgVerdict() {
    }

    /** Passed, and the detail; {@code peers} is empty unless this server is a primary with peers configured. */
    public record Verdict(boolean passed, String detail) {}

    public static Verdict judge(PgCheckSettings s, PgObservation o, List<PeerObservation> peers) {
        switch (s.role()) {
            case PRIMARY -> {
                if (o.inRecovery()) {
                    return new Verdict(false, "in recovery");
                }
                if (o.readOnly()) {
                    return new Verdict(false, "not accepting writes (transaction_read_only is on)");
                }
            }
            case REPLICA -> {
                if (!o.inRecovery()) {
                    return new Verdict(false, "not in recovery");
                }
                if (!o.streaming()) {
                    return new Verdict(false, "no WAL receiver (not streaming)");
                }
            }
            case ANY -> {
            }
        }
        String lagText = "";
        if (o.inRecovery()) {
            long behind = o.replayBehind().orElse(0L);
            if (s.maxLagBytes().isPresent() && behind > s.maxLagBytes().get()) {
                return new Verdict(false, "replay lag " + Magnitudes.bytes(behind) + " > "
                        + Magnitudes.bytes(s.maxLagBytes().get()));
            }
            if (s.maxLagTime().isPresent() && o.replayBehindTime().isPresent()
                    && o.replayBehindTime().get().compareTo(s.maxLagTime().get()) > 0) {
                return new Verdict(false, "replay lag " + Magnitudes.duration(o.replayBehindTime().get()) + " > "
                        + Magnitudes.duration(s.maxLagTime().get()));
            }
            lagText = o.replayBehind().isEmpty() ? ", nothing received by streaming"
                    : ", replay lag " + Magnitudes.bytes(behind)
                    + o.replayBehindTime().filter(t -> !t.isZero()).map(t -> " / " + Magnitudes.duration(t)).orElse("");
        }
        if (o.queryResult().isPresent()) {
            PgObservation.QueryResult q = o.queryResult().get();
            if (q instanceof PgObservation.QueryResult.Failed f) {
                return new Verdict(false, "query failed: " + f.message());
            }
            if (q instanceof PgObservation.QueryResult.NoRow) {
                return new Verdict(false, "query returned no row");
            }
            if (q instanceof PgObservation.QueryResult.Returned r && !r.value()) {
                return new Verdict(false, "query returned false");
            }
        }
        String seen = o.inRecovery() ? (o.streaming() ? "replica streaming" : "in recovery, not streaming") + lagText
                : "primary on timeline " + o.timeline();
        if (o.inRecovery() || peers.isEmpty()) {
            return new Verdict(true, seen);
        }
        return guard(o, peers, seen);
    }

    /**
     * The split-brain guard: a primary is not eligible while a peer of the same cluster is a primary on a higher
     * timeline (it was promoted after us, so we are the stale one). Unreachable peers never block.
     */
    static Verdict guard(PgObservation o, List<PeerObservation> peers, String seen) {
        List<String> notes = new ArrayList<>();
        for (PeerObservation p : peers) {
            if (p instanceof PeerObservation.Unreachable u) {
                notes.add("peer " + u.peer().label() + " unreachable (" + u.reason() + "), not blocking");
            } else if (p instanceof PeerObservation.Answered a) {
                if (a.systemIdentifier() != o.systemIdentifier()) {
                    notes.add("peer " + a.peer().label() + " is another cluster (system identifier "
                            + Long.toUnsignedString(a.systemIdentifier()) + "), ignored");
                } else if (a.inRecovery()) {
                    continue;
                } else if (a.timeline() > o.timeline()) {
                    return new Verdict(false, "peer " + a.peer().label() + " is primary on timeline " + a.timeline()
                            + " > ours " + o.timeline());
                } else if (a.timeline() == o.timeline()) {
                    notes.add("peer " + a.peer().label() + " is also primary on timeline " + a.timeline()
                            + " (same timeline: the guard cannot tell which is newer)");
                } else {
                    notes.add("peer " + a.peer().label() + " is a stale primary on timeline " + a.timeline());
                }
            }
        }
        return new Verdict(true, notes.isEmpty() ? seen : seen + "; " + String.join("; ", notes));
    }
}
