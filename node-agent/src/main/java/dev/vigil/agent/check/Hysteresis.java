package dev.vigil.agent.check;

/**
 * keepalived 2.2.7's rise/fall counter for a tracked check ({@code vrrp_scheduler.c:vrrp_script_child_thread}),
 * as a value: {@code counter} is in [0, rise+fall-1] and the check is good while {@code counter >= rise}.
 *
 * <ul>
 *   <li>Normal start: counter {@code rise-1} in the INIT phase, so one success makes it good, and the first
 *       failure while still in INIT makes it failed at once.</li>
 *   <li>{@code init_fail}: counter 0, already failed; {@code rise} successes make it good.</li>
 *   <li>A success when not yet good counts up; reaching {@code rise} jumps to the top, so {@code fall} failures are
 *       needed to go back. A failure while good counts down; at {@code rise} another failure drops to 0.</li>
 * </ul>
 */
public record Hysteresis(int rise, int fall, int counter, Phase phase) {

    /** keepalived's init_state: INIT until the first result, FAILED for init_fail, then DONE. */
    public enum Phase { INIT, INIT_FAILED, DONE }

    public Hysteresis {
        if (rise < 1 || fall < 1) {
            throw new IllegalArgumentException("rise and fall must be at least 1, got rise " + rise + " fall " + fall);
        }
        if (counter < 0 || counter > rise + fall - 1) {
            throw new IllegalArgumentException("counter " + counter + " outside [0, " + (rise + fall - 1) + "]");
        }
    }

    public static Hysteresis start(int rise, int fall, boolean initFail) {
        return initFail ? new Hysteresis(rise, fall, 0, Phase.INIT_FAILED) : new Hysteresis(rise, fall, rise - 1, Phase.INIT);
    }

    public TrackerStatus status() {
        return switch (phase) {
            case INIT -> TrackerStatus.PENDING;
            case INIT_FAILED -> TrackerStatus.FAILED;
            case DONE -> counter >= rise ? TrackerStatus.OK : TrackerStatus.FAILED;
        };
    }

    /** The counter after one more result; {@link #status()} of the answer says whether the tracker changed. */
    public Hysteresis next(boolean success) {
        int top = rise + fall - 1;
        int c;
        if (success) {
            c = counter < rise - 1 ? counter + 1 : top;
        } else {
            c = counter > rise ? counter - 1 : 0;
        }
        return new Hysteresis(rise, fall, c, Phase.DONE);
    }
}
