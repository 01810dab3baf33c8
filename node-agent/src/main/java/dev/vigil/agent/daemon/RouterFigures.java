package dev.vigil.agent.daemon;

import dev.vigil.agent.vrrp.RouterCounters;
import dev.vigil.agent.vrrp.RouterState;

import java.time.Duration;
import java.util.List;

/**
 * One router as metrics show it, copied on the event loop: keepalived's labels (instance, interface, VRID, VIPs),
 * its state and priorities, and keepalived's per-instance statistics.
 *
 * @param garpMasterDelay keepalived's {@code garp_master_delay} (exported as keepalived-exporter's garp delay)
 */
public record RouterFigures(String instance, String interfaceName, int vrid, String family, RouterState state,
                            int basePriority, int effectivePriority, List<Vip> vips, Duration garpMasterDelay,
                            RouterCounters counters) {
    public RouterFigures {
        vips = List.copyOf(vips);
    }

    /** A VIP and the device it goes on (keepalived-exporter's {@code ip_address} and {@code intf}). */
    public record Vip(String address, String device) {
    }

    static RouterFigures of(RouterHost h) {
        var c = h.router().config();
        return new RouterFigures(c.name(), h.instance().interfaceName(), c.vrid(), c.family().name(), h.router().state(),
                c.priority(), h.router().effectivePriority(),
                h.instance().vips().values().stream()
                        .map(v -> new Vip(v.address().getHostAddress(), v.device())).toList(), h.instance().source().garp().masterDelay(),
                h.router().counters());
    }
}
