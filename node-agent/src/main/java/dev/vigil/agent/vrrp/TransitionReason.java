package dev.vigil.agent.vrrp;

/** Machine-readable kind of a transition; the human cause text travels beside it. */
public enum TransitionReason {
    START,
    MASTER_DOWN_TIMER_EXPIRED,
    PREEMPTED,
    TRACKER_FAILED,
    TRACKER_RECOVERED,
    INTERFACE_DOWN,
    INTERFACE_UP,
    SHUTDOWN,
    /** A {@code vrrp_sync_group} moved this member with another one (keepalived's "Syncing instances"). */
    SYNC_GROUP
}
