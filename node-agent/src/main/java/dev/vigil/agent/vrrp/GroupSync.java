package dev.vigil.agent.vrrp;

import dev.vigil.agent.vrrp.RouterAction.MasterWanted;
import dev.vigil.agent.vrrp.RouterAction.OwnFaultChanged;
import dev.vigil.agent.vrrp.RouterAction.Transition;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One {@code vrrp_sync_group} on this host: keeps its member routers in step, as keepalived 2.2.7's
 * {@code vrrp_sync.c} does. Pure: the shell hands it the actions a member's router returned ({@link #observe}) and
 * feeds the returned inputs to the other members' routers, whose actions come back here in turn.
 *
 * <ul>
 * <li>A member's own fault (its interface, a weight-0 tracker) faults the whole group; the group leaves FAULT, every
 * member to BACKUP, when no member has a fault of its own any more ({@code vrrp_sync_fault}, {@code try_up_instance}).</li>
 * <li>A member becomes master only when every other member wants to as well (its master-down timer expired too) or
 * is master already; then all go together ({@code vrrp_sync_can_goto_master}, {@code vrrp_sync_master}).</li>
 * <li>A master preempted by a higher priority takes the others to BACKUP, without priority-0 adverts
 * ({@code vrrp_sync_backup}).</li>
 * <li>A master hearing a lower-priority master has the other members re-announce their VIPs
 * ({@code vrrp_state_master_rx}).</li>
 * </ul>
 * Not thread-safe: the event loop that owns the member routers owns this.
 */
public final class GroupSync {

    /** What the shell must do, in order. */
    public sealed interface Step {
        /** Feed {@code input} to the member's router, then hand its actions back to {@link #observe}. */
        record Feed(String member, RouterInput input) implements Step {
        }

        /** The group's state changed (notify scripts of type GROUP); to INITIALIZE with SHUTDOWN = stopped. */
        record GroupTransition(RouterState from, RouterState to, TransitionReason reason, String cause) implements Step {
        }

        /** A member's master-down timer expired, but the group waits for {@code waitingFor} (for the log). */
        record Held(String member, List<String> waitingFor) implements Step {
        }
    }

    private final String name;
    private final List<String> members;
    private final Map<String, RouterState> memberStates = new HashMap<>();
    private final Map<String, String> ownFaults = new LinkedHashMap<>();
    private final Set<String> wantMaster = new HashSet<>();
    private final Set<String> stopped = new HashSet<>();
    private RouterState state = RouterState.INITIALIZE;

    public GroupSync(String name, List<String> members) {
        if (members.isEmpty() || new HashSet<>(members).size() != members.size()) {
            throw new IllegalArgumentException("vrrp_sync_group " + name + ": members must be distinct and not empty");
        }
        this.name = name;
        this.members = List.copyOf(members);
        members.forEach(m -> memberStates.put(m, RouterState.INITIALIZE));
    }

    public String name() {
        return name;
    }

    public List<String> members() {
        return members;
    }

    public RouterState state() {
        return state;
    }

    /** The member's router returned {@code actions}; what must follow for the group. */
    public List<Step> observe(String member, List<RouterAction> actions) {
        if (!memberStates.containsKey(member)) {
            return List.of();
        }
        List<Step> out = new ArrayList<>();
        for (RouterAction a : actions) {
            if (a instanceof Transition t) {
                onTransition(member, t, out);
            } else if (a instanceof OwnFaultChanged f) {
                onOwnFault(member, f, out);
            } else if (a instanceof MasterWanted w) {
                onMasterWanted(member, w, out);
            } else if (a instanceof RouterAction.LowerPriorityMasterHeard h) {
                feedOthers(member, new RouterInput.SyncGroupReannounce(member + " heard lower-priority master "
                        + h.source() + " (priority " + h.priority() + ")"), out);
            }
        }
        return out.isEmpty() ? List.of() : List.copyOf(out);
    }

    private void onTransition(String member, Transition t, List<Step> out) {
        memberStates.put(member, t.to());
        if (t.to() != RouterState.BACKUP) {
            wantMaster.remove(member);
        }
        if (t.to() == RouterState.INITIALIZE) {
            stopped.add(member);
            if (stopped.size() == members.size()) {
                move(RouterState.INITIALIZE, TransitionReason.SHUTDOWN, "every member stopped", out);
            }
            return;
        }
        if (t.reason() == TransitionReason.SYNC_GROUP || state == RouterState.FAULT) {
            return; // our own doing, or held by the group's fault
        }
        String follows = "sync group " + name + " follows " + member + ": " + t.cause();
        if (t.to() == RouterState.MASTER && state != RouterState.MASTER) {
            // keepalived's B->M / F->M handler: an address owner, or a member that went master by itself
            feedOthers(member, new RouterInput.SyncGroupMaster(follows), out);
            move(RouterState.MASTER, t.reason(), follows, out);
        } else if (t.from() == RouterState.MASTER && t.to() == RouterState.BACKUP && state != RouterState.BACKUP) {
            feedOthers(member, new RouterInput.SyncGroupBackup(follows), out);
            move(RouterState.BACKUP, t.reason(), follows, out);
        } else if (t.from() == RouterState.INITIALIZE && state == RouterState.INITIALIZE) {
            move(t.to(), t.reason(), member + " started", out);
        }
    }

    private void onOwnFault(String member, OwnFaultChanged f, List<Step> out) {
        if (f.fault()) {
            boolean first = ownFaults.isEmpty();
            ownFaults.put(member, f.cause());
            if (first) {
                String cause = "sync group " + name + ": " + member + " is in FAULT (" + f.cause() + ")";
                // every member, the faulty one too: it stays held by the group when its own fault clears first
                for (String m : members) {
                    out.add(new Step.Feed(m, new RouterInput.SyncGroupFault(true, cause)));
                }
                move(RouterState.FAULT, TransitionReason.TRACKER_FAILED, cause, out);
            }
        } else if (ownFaults.remove(member) != null && ownFaults.isEmpty()) {
            String cause = "sync group " + name + ": " + member + " recovered (" + f.cause() + ")";
            out.add(new Step.Feed(member, new RouterInput.SyncGroupFault(false, cause)));
            for (String m : members) {
                if (!m.equals(member)) {
                    out.add(new Step.Feed(m, new RouterInput.SyncGroupFault(false, cause)));
                }
            }
            move(RouterState.BACKUP, TransitionReason.TRACKER_RECOVERED, cause, out);
        }
    }

    private void onMasterWanted(String member, MasterWanted w, List<Step> out) {
        if (!w.wanted()) {
            wantMaster.remove(member);
            return;
        }
        wantMaster.add(member);
        if (state == RouterState.FAULT) {
            return;
        }
        if (state == RouterState.MASTER) {
            out.add(new Step.Feed(member, new RouterInput.SyncGroupMaster("sync group " + name + " is MASTER")));
            return;
        }
        List<String> waiting = members.stream()
                .filter(m -> !wantMaster.contains(m) && memberStates.get(m) != RouterState.MASTER).toList();
        if (!waiting.isEmpty()) {
            out.add(new Step.Held(member, waiting));
            return;
        }
        String cause = "sync group " + name + ": every member's master-down timer expired, " + member + "'s last";
        out.add(new Step.Feed(member, new RouterInput.SyncGroupMaster(cause)));
        feedOthers(member, new RouterInput.SyncGroupMaster(cause), out);
        wantMaster.clear();
        move(RouterState.MASTER, TransitionReason.MASTER_DOWN_TIMER_EXPIRED, cause, out);
    }

    private void feedOthers(String member, RouterInput input, List<Step> out) {
        for (String m : members) {
            if (!m.equals(member)) {
                out.add(new Step.Feed(m, input));
            }
        }
    }

    /** The group transition goes after the feeds already listed: members' notifies first, then the group's. */
    private void move(RouterState to, TransitionReason reason, String cause, List<Step> out) {
        if (state == to) {
            return;
        }
        RouterState from = state;
        state = to;
        out.add(new Step.GroupTransition(from, to, reason, cause));
    }
}
