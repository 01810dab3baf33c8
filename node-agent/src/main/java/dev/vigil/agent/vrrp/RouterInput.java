package dev.vigil.agent.vrrp;

/** What can happen to a router; the current monotonic time travels beside it in {@link VrrpRouter#handle}. */
public sealed interface RouterInput {

    /** Leave INITIALIZE (RFC 5798 §6.4.1 Startup event). */
    record Start() implements RouterInput {
    }

    /** A decoded advert for this VRID, with its IP source, destination and TTL; arrival time is "now". */
    record AdvertReceived(ReceivedAdvert packet) implements RouterInput {
    }

    /** A timer the router armed has reached its deadline. */
    record TimerFired(TimerKind kind) implements RouterInput {
    }

    /** A tracker (script, interface, file) changed between OK and failed. */
    record TrackerChanged(String tracker, boolean ok) implements RouterInput {
    }

    /**
     * A tracker whose contribution varies (keepalived's {@code track_file}: the file's value x weight) now faults
     * the router, or adds {@code delta} (negative lowers) to the priority. Once set, it replaces the tracker's
     * fixed weight.
     */
    record TrackerContributionChanged(String tracker, boolean fault, int delta) implements RouterInput {
    }

    /** The VRRP interface's link went up or down. */
    record InterfaceChanged(boolean up) implements RouterInput {
    }

    /** RFC 5798 §6.4 Shutdown event (SIGTERM or the instance removed by a reload). */
    record ShutdownRequested() implements RouterInput {
    }

    /**
     * The member's sync group goes MASTER (keepalived's {@code vrrp_sync_master}): a BACKUP becomes master. A member
     * whose own master-down timer had expired reports that as its cause, with {@code cause} appended.
     */
    record SyncGroupMaster(String cause) implements RouterInput {
    }

    /**
     * The member's sync group goes BACKUP because another member was preempted ({@code vrrp_sync_backup}): a MASTER
     * steps down without a priority-0 advert, as keepalived does, and removes its VIPs.
     */
    record SyncGroupBackup(String cause) implements RouterInput {
    }

    /**
     * Another member of the sync group is in FAULT ({@code vrrp_sync_fault}), or no member is any more: the group's
     * fault holds this router in FAULT like a failed weight-0 tracker would.
     */
    record SyncGroupFault(boolean fault, String cause) implements RouterInput {
    }

    /** Another member heard a lower-priority master: a master re-announces its VIPs ({@code garp_lower_prio_repeat}). */
    record SyncGroupReannounce(String cause) implements RouterInput {
    }
}
