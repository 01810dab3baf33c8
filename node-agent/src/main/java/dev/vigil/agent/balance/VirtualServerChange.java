package dev.vigil.agent.balance;

import dev.vigil.agent.config.VirtualServer;

import java.util.ArrayList;
import java.util.List;

/**
 * What a reload does to the virtual servers, decided from the running and the new list alone (pure). A virtual
 * server that means the same as before ({@link VirtualServer#sameSettingsAs}: only its place in the files may move)
 * is kept: its listeners, checks, pool state and open connections go on untouched. Every other running one retires
 * (stops accepting and checking; its forwarded connections end on their own) and every other new one starts.
 *
 * @param kept     running virtual servers that stay, with their definition in the new file
 * @param retiring running ones that stop
 * @param starting new ones that start
 */
public record VirtualServerChange(List<Kept> kept, List<VirtualServer> retiring, List<VirtualServer> starting) {

    /** A running virtual server ({@code running}) kept as {@code next} says it (same settings, maybe new lines). */
    public record Kept(VirtualServer running, VirtualServer next) {
    }

    public VirtualServerChange {
        kept = List.copyOf(kept);
        retiring = List.copyOf(retiring);
        starting = List.copyOf(starting);
    }

    public static VirtualServerChange plan(List<VirtualServer> running, List<VirtualServer> next) {
        List<Kept> kept = new ArrayList<>();
        List<VirtualServer> retiring = new ArrayList<>();
        List<VirtualServer> unmatched = new ArrayList<>(next);
        for (VirtualServer r : running) {
            VirtualServer same = unmatched.stream().filter(r::sameSettingsAs).findFirst().orElse(null);
            if (same == null) {
                retiring.add(r);
            } else {
                unmatched.remove(same);
                kept.add(new Kept(r, same));
            }
        }
        return new VirtualServerChange(kept, retiring, unmatched);
    }

    /** Nothing to do: every virtual server is kept. */
    public boolean isEmpty() {
        return retiring.isEmpty() && starting.isEmpty();
    }
}
