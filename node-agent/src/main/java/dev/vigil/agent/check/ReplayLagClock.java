package dev.vigil.agent.check;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * How long a replica has been holding WAL it received but has not replayed, from what successive checks saw. Pure:
 * the check keeps the value and feeds it every observation with the monotonic time.
 *
 * <p>Each check whose receive position moved on records a sample (position, first seen at). The time lag is
 * {@code now} minus the time of the earliest sample beyond the replay position: the WAL replay is waiting for had
 * arrived by then. It never overstates (it may understate by up to one check interval), and while replay keeps up
 * with receive it is zero.
 *
 * <p>Why not PostgreSQL's {@code now() - pg_last_xact_replay_timestamp()}: that is the age of the last replayed
 * commit, so after ten idle minutes on the primary, the first new WAL record (a checkpoint, a running-xacts record,
 * a commit) reads as "ten minutes" for as long as replay is behind, even for a millisecond, and an idle caught-up
 * replica would flap. Limitation: history starts with the agent, so a replica already far behind at start shows a
 * time lag growing from zero (the byte threshold still applies at once).
 */
public record ReplayLagClock(List<Sample> samples) {

    /** At most this many samples (at 0.2 s checks, 200 s of continuous lag); beyond, the newest one absorbs new WAL. */
    static final int CAPACITY = 1000;

    public static final ReplayLagClock CAUGHT_UP = new ReplayLagClock(List.of());

    /** Receive position {@code position} was first seen at {@code seenAt} (monotonic nanos). */
    public record Sample(long position, long seenAt) {}

    public ReplayLagClock {
        samples = List.copyOf(samples);
    }

    /** The clock after one observation of receive and replay positions (bytes into the WAL). */
    public ReplayLagClock observe(long received, long replayed, long nowNanos) {
        if (replayed >= received) {
            return CAUGHT_UP;
        }
        List<Sample> kept = new ArrayList<>(samples.size() + 1);
        for (Sample s : samples) {
            if (s.position() > replayed) {
                kept.add(s);
            }
        }
        long newest = kept.isEmpty() ? replayed : kept.get(kept.size() - 1).position();
        if (received > newest) {
            if (kept.size() < CAPACITY) {
                kept.add(new Sample(received, nowNanos));
            } else {
                Sample last = kept.remove(kept.size() - 1);
                kept.add(new Sample(received, last.seenAt()));
            }
        }
        return new ReplayLagClock(kept);
    }

    /** Time lag at {@code nowNanos}: zero while caught up. */
    public Duration lag(long nowNanos) {
        return samples.isEmpty() ? Duration.ZERO : Duration.ofNanos(Math.max(0, nowNanos - samples.get(0).seenAt()));
    }
}
