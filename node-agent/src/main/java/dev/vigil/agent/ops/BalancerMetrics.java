package dev.vigil.agent.ops;

import dev.vigil.agent.balance.BalancerFigures;
import dev.vigil.agent.balance.ServerStats;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * The TCP proxy's figures (issue 10) in Prometheus form: per real server of each virtual server, connections, bytes
 * each way, errors, cuts, health and weight; and for the whole proxy the bytes it buffers now (the back-pressure
 * bound made visible), the most one connection direction ever held, and refused connections. keepalived-exporter
 * has no names for these (keepalived's own figures live in IPVS), so they are Vigil's.
 */
public final class BalancerMetrics {
    private BalancerMetrics() {
    }

    static List<MetricSnapshot> snapshots(BalancerFigures f) {
        List<MetricSnapshot> out = new ArrayList<>();
        out.add(counter("vigil_lb_connections", "Connections forwarded to the real server since start", f, ServerStats::connections));
        out.add(gauge("vigil_lb_open_connections", "Connections to the real server open now", f, ServerStats::open));
        CounterSnapshot.Builder bytes = CounterSnapshot.builder().name("vigil_lb_bytes")
                .help("Bytes forwarded, by direction (to_server: from clients; to_client: from the real server)");
        for (ServerStats s : f.servers()) {
            bytes.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().labels(labels(s).add("direction", "to_server"))
                    .value(s.toServer()).build());
            bytes.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().labels(labels(s).add("direction", "to_client"))
                    .value(s.toClient()).build());
        }
        out.add(bytes.build());
        out.add(counter("vigil_lb_errors", "Failed connects (retried on another server) and connections ended by an error", f, ServerStats::errors));
        out.add(counter("vigil_lb_cut", "Connections closed by the proxy because the real server failed its checks", f, ServerStats::cut));
        out.add(gauge("vigil_lb_real_server_up", "1 while the real server is in the pool", f, s -> s.up() ? 1 : 0));
        out.add(gauge("vigil_lb_real_server_weight", "The real server's weight now", f, ServerStats::weight));
        out.add(single(GaugeSnapshot.builder().name("vigil_lb_buffered_bytes")
                .help("Bytes the proxy holds that the kernel has not taken yet, over every connection now"), f.bufferedBytes()));
        out.add(single(GaugeSnapshot.builder().name("vigil_lb_peak_connection_buffered_bytes")
                .help("The most one direction of one connection has held since start (bounded per connection)"), f.peakConnectionBuffered()));
        out.add(CounterSnapshot.builder().name("vigil_lb_refused").help("Connections refused: no quorum, no real server up, no sorry server")
                .dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().value(f.refused()).build()).build());
        return out;
    }

    private static Labels labels(ServerStats s) {
        return Labels.of("virtual_server", s.virtualServer(), "real_server", s.server());
    }

    private static CounterSnapshot counter(String name, String help, BalancerFigures f, ToLongFunction<ServerStats> value) {
        CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(help);
        f.servers().forEach(s -> b.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().labels(labels(s))
                .value(value.applyAsLong(s)).build()));
        return b.build();
    }

    private static GaugeSnapshot gauge(String name, String help, BalancerFigures f, ToLongFunction<ServerStats> value) {
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help);
        f.servers().forEach(s -> b.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(labels(s))
                .value(value.applyAsLong(s)).build()));
        return b.build();
    }

    private static GaugeSnapshot single(GaugeSnapshot.Builder b, long value) {
        return b.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(value).build()).build();
    }
}
