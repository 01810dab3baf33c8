package dev.vigil.agent.ops;

import dev.vigil.agent.daemon.RouterFigures;
import dev.vigil.agent.vrrp.DropReason;
import dev.vigil.agent.vrrp.RouterCounters;
import dev.vigil.agent.vrrp.RouterState;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.ToLongFunction;

/**
 * The routers' figures as Prometheus metrics under keepalived-exporter's names and labels (mehdy/keepalived-exporter,
 * research/keepalived.md §5), so its dashboards and alerts keep working, plus Vigil's own where it has no name.
 * Pure: figures in, snapshots out; {@code empty} figures mean the event loop did not answer, and then only
 * {@code keepalived_up 0} is reported, as the exporter does when keepalived does not answer.
 *
 * <p>keepalived's numbering of states (INIT 0, BACKUP 1, MASTER 2, FAULT 3) is the exporter's value of
 * {@code keepalived_vrrp_state} and the source of the {@code state} label of its counters.
 */
public final class RouterMetrics {
    private RouterMetrics() {
    }

    /** Drop reasons that keepalived counts under a statistic of its own; the rest only in vigil_vrrp_adverts_dropped. */
    static final Map<DropReason, String> KEEPALIVED_ERRORS = Map.of(
            DropReason.TTL_NOT_255, "keepalived_ip_ttl_errors",
            DropReason.INTERVAL_MISMATCH, "keepalived_advertisements_interval_errors",
            DropReason.AUTH_TYPE_MISMATCH, "keepalived_authentication_mismatch",
            DropReason.AUTH_FAILURE, "keepalived_authentication_failure",
            DropReason.UNSUPPORTED_AUTH, "keepalived_authentication_invalid",
            DropReason.BAD_TYPE, "keepalived_invalid_type_received",
            DropReason.LENGTH_MISMATCH, "keepalived_packet_length_errors");

    public static MetricSnapshots snapshots(Optional<List<RouterFigures>> answered) {
        List<MetricSnapshot> out = new ArrayList<>();
        out.add(GaugeSnapshot.builder().name("keepalived_up").help("1 when the agent's event loop answered this scrape")
                .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(answered.isPresent() ? 1 : 0).build()).build());
        if (answered.isEmpty()) {
            return new MetricSnapshots(out);
        }
        List<RouterFigures> routers = answered.get();

        GaugeSnapshot.Builder state = GaugeSnapshot.builder().name("keepalived_vrrp_state")
                .help("State of the VRRP instance per VIP: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT");
        for (RouterFigures r : routers) {
            for (RouterFigures.Vip v : r.vips()) {
                state.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
                        .labels(Labels.of("iname", r.instance(), "intf", v.device(), "vrid", Integer.toString(r.vrid()),
                                "ip_address", v.address()))
                        .value(r.state().ordinal()).build());
            }
        }
        out.add(state.build());

        out.add(counter("keepalived_advertisements_received", "Advertisements received", routers, RouterCounters::advertsReceived));
        out.add(counter("keepalived_advertisements_sent", "Advertisements sent", routers, RouterCounters::advertsSent));
        out.add(counter("keepalived_become_master", "Became master", routers, RouterCounters::becameMaster));
        out.add(counter("keepalived_release_master", "Released master", routers, RouterCounters::releasedMaster));
        out.add(counter("keepalived_priority_zero_received", "Priority zero received", routers, RouterCounters::priorityZeroReceived));
        out.add(counter("keepalived_priority_zero_sent", "Priority zero sent", routers, RouterCounters::priorityZeroSent));
        Map<String, DropReason> errors = new LinkedHashMap<>();
        KEEPALIVED_ERRORS.entrySet().stream().sorted(Map.Entry.comparingByValue()).forEach(e -> errors.put(e.getValue(), e.getKey()));
        errors.forEach((name, reason) -> out.add(counter(name, "Adverts dropped: " + reason.name(), routers,
                c -> c.drops().getOrDefault(reason, 0L))));
        out.add(counter("keepalived_address_list_errors", "Address list errors (keepalived 2.2.7 accepts a differing list)",
                routers, c -> 0L));
        out.add(counterOf("keepalived_gratuitous_arp_delay", "garp_master_delay in seconds, as keepalived-exporter reports it",
                routers, r -> r.garpMasterDelay().toSeconds()));

        CounterSnapshot.Builder dropped = CounterSnapshot.builder().name("vigil_vrrp_adverts_dropped")
                .help("Adverts a router dropped, by reason (the decoder's own drops are not per router)");
        GaugeSnapshot.Builder priority = GaugeSnapshot.builder().name("vigil_vrrp_priority")
                .help("Configured (base) and effective priority of the VRRP instance");
        for (RouterFigures r : routers) {
            Labels id = Labels.of("iname", r.instance(), "vrid", Integer.toString(r.vrid()), "family", r.family());
            for (Map.Entry<DropReason, Long> d : r.counters().drops().entrySet()) {
                dropped.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                        .labels(id.add("reason", d.getKey().name().toLowerCase(java.util.Locale.ROOT))).value(d.getValue()).build());
            }
            priority.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(id.add("kind", "base")).value(r.basePriority()).build());
            priority.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(id.add("kind", "effective")).value(r.effectivePriority()).build());
        }
        out.add(dropped.build());
        out.add(priority.build());
        return new MetricSnapshots(out);
    }

    /**
     * The metric names every scrape with at least one router shows (keepalived-exporter's and Vigil's), without the
     * counters' _total; {@code vigil_vrrp_adverts_dropped} appears with the first drop.
     */
    public static Set<String> names() {
        Set<String> names = new java.util.TreeSet<>(List.of("keepalived_up", "keepalived_vrrp_state",
                "keepalived_advertisements_received", "keepalived_advertisements_sent", "keepalived_become_master",
                "keepalived_release_master", "keepalived_priority_zero_received", "keepalived_priority_zero_sent",
                "keepalived_address_list_errors", "keepalived_gratuitous_arp_delay", "vigil_vrrp_priority"));
        names.addAll(KEEPALIVED_ERRORS.values());
        return names;
    }

    static String stateLabel(RouterState s) {
        return switch (s) {
            case INITIALIZE -> "INIT";
            case BACKUP -> "BACKUP";
            case MASTER -> "MASTER";
            case FAULT -> "FAULT";
        };
    }

    private static CounterSnapshot counter(String name, String help, List<RouterFigures> routers,
                                           ToLongFunction<RouterCounters> value) {
        return counterOf(name, help, routers, r -> value.applyAsLong(r.counters()));
    }

    private static CounterSnapshot counterOf(String name, String help, List<RouterFigures> routers,
                                             ToLongFunction<RouterFigures> value) {
        CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(help);
        for (RouterFigures r : routers) {
            b.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                    .labels(Labels.of("iname", r.instance(), "intf", r.interfaceName(), "vrid", Integer.toString(r.vrid()),
                            "state", stateLabel(r.state())))
                    .value(value.applyAsLong(r)).build());
        }
        return b.build();
    }
}
