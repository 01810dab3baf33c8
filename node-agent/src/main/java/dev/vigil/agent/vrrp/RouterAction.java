package dev.vigil.agent.vrrp;

import java.util.List;

/** What the shell must do for a router, in order. */
public sealed interface RouterAction {

    /** Send this advert from the primary address to the multicast group or to each unicast peer. */
    record SendAdvert(Advert advert) implements RouterAction {
    }

    /** Add the VIPs; with accept mode off the shell also drops traffic to them (RFC 5798 §6.1 Accept_Mode). */
    record AddVips(List<IpAddress> vips, boolean acceptMode) implements RouterAction {
    }

    /** Remove the VIPs (also at start, to clear what a crashed run left behind, as keepalived does). */
    record RemoveVips(List<IpAddress> vips) implements RouterAction {
    }

    /** Send {@code repeat} gratuitous ARPs (IPv4) or unsolicited neighbour advertisements (IPv6) per VIP. */
    record AnnounceVips(List<IpAddress> vips, int repeat) implements RouterAction {
    }

    /** Arm (or re-arm) the timer of this kind at a monotonic deadline. */
    record ArmTimer(TimerKind kind, long deadlineNanos) implements RouterAction {
    }

    record CancelTimer(TimerKind kind) implements RouterAction {
    }

    /**
     * A state change, with its cause in words a reviewer can read ({@link #cause()}; formatted when first read, so a
     * takeover's advert can leave first: {@link CauseText}).
     */
    record Transition(RouterState from, RouterState to, TransitionReason reason, CauseText because, long atNanos)
            implements RouterAction {
        public Transition(RouterState from, RouterState to, TransitionReason reason, String cause, long atNanos) {
            this(from, to, reason, CauseText.of(cause), atNanos);
        }

        public String cause() {
            return because.text();
        }
    }

    /** The effective priority changed; it goes out in the next advert, not at once (keepalived). */
    record PriorityChanged(int from, int to, String cause) implements RouterAction {
    }

    /**
     * Sync group members only: the master-down timer expired ({@code wanted}), so this router would become master,
     * but its group decides ({@link GroupSync}; keepalived's {@code vrrp_sync_can_goto_master}); the router stays
     * BACKUP and re-arms the timer. {@code wanted == false}: it heard a master again.
     */
    record MasterWanted(boolean wanted, String cause) implements RouterAction {
    }

    /**
     * Sync group members only: the router's own fault condition (its interface, a weight-0 tracker) began or
     * ended; a fault of its group does not count. {@link GroupSync} faults the whole group on it.
     */
    record OwnFaultChanged(boolean fault, String cause) implements RouterAction {
    }

    /**
     * Sync group members only: this master heard a lower-priority master (a healed split); keepalived then re-announces
     * the other members' VIPs too ({@code garp_lower_prio_repeat} of each).
     */
    record LowerPriorityMasterHeard(IpAddress source, int priority) implements RouterAction {
    }
}
