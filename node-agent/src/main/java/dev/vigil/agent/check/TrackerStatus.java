package dev.vigil.agent.check;

/**
 * Where a tracker stands, as keepalived's {@code vrrp_script} status: {@code INIT} (no result yet),
 * {@code GOOD} or {@code BAD}. A tracker configured with {@code init_fail} starts {@code FAILED}.
 */
public enum TrackerStatus {
    /** No result yet: keepalived's SCRIPT_INIT_STATE_INIT. A weight-0 tracker holds its instance in INIT meanwhile. */
    PENDING,
    OK,
    FAILED;

    public String word() {
        return switch (this) {
            case PENDING -> "pending";
            case OK -> "ok";
            case FAILED -> "failed";
        };
    }
}
