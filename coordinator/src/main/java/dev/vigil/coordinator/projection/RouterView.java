package dev.vigil.coordinator.projection;

import dev.vigil.model.RouterState;

import java.util.List;
import java.util.SortedMap;

/**
 * One virtual router at an instant: who is master (more than one in a split brain), who backs up,
 * every member's state and priorities, the trackers of its members and which agent holds each VIP.
 */
public record RouterView(RouterKey key, List<String> masters, List<String> backups,
                         SortedMap<String, RouterState> states, SortedMap<String, Priority> priorities,
                         SortedMap<String, SortedMap<String, Boolean>> trackers, SortedMap<String, String> vipOwners) {
    public RouterView {
        masters = List.copyOf(masters);
        backups = List.copyOf(backups);
        states = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(states));
        priorities = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(priorities));
        trackers = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(trackers));
        vipOwners = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(vipOwners));
    }

    /** The configured priority and the one in effect after trackers adjusted it. */
    public record Priority(int base, int effective) {
    }
}
