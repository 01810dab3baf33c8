package dev.vigil.agent.ops;

import dev.vigil.agent.daemon.RouterFigures;
import dev.vigil.model.AgentFact;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The agent's metrics in one Micrometer Prometheus registry: the routers' figures read from the event loop at each
 * scrape ({@link RouterMetrics}, keepalived-exporter's names), and what the fact stream tells (transitions,
 * trackers, the outbox), counted as facts pass on their way to the outbox. {@link #observe} never blocks: it is
 * called on the event loop.
 */
public final class AgentMetrics {
    /** A scrape waits this long for the event loop; longer means the loop is stuck, and keepalived_up says 0. */
    static final Duration LOOP_ANSWER = Duration.ofSeconds(2);

    /** Absent when nothing can scrape it: an agent without a metrics endpoint loads no Micrometer (~1 MiB RSS). */
    private final PrometheusMeterRegistry registry;
    private final Map<String, AtomicLong> trackerHealthy = new ConcurrentHashMap<>();
    private final AtomicLong recorded = new AtomicLong();
    private final AtomicLong shipped = new AtomicLong();
    private final AtomicLong lastShippedEpochMillis = new AtomicLong();
    /** Since when facts have waited without an acknowledgement (epoch ms; 0: none waiting). */
    private final AtomicLong waitingSinceEpochMillis = new AtomicLong();
    private volatile Supplier<Optional<CompletableFuture<dev.vigil.agent.balance.BalancerFigures>>> balancer = Optional::empty;
    private volatile Supplier<CompletableFuture<List<RouterFigures>>> routers = () -> CompletableFuture.completedFuture(List.of());

    public AgentMetrics(String agentId) {
        this(agentId, true);
    }

    /**
     * @param exported whether a metrics endpoint will scrape this; if not, only the outbox figures for
     *                 {@code vigilctl status} ({@link #reporting}) are kept
     */
    public AgentMetrics(String agentId, boolean exported) {
        if (!exported) {
            registry = null;
            return;
        }
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // No agent label: Prometheus' own instance label names the host, as it does for keepalived-exporter.
        Gauge.builder("vigil_agent", () -> 1).description("The agent id of this endpoint").tags("agent_id", agentId)
                .register(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        Gauge.builder("vigil_outbox_recorded", recorded, AtomicLong::get)
                .description("Facts handed to the outbox since the agent started").register(registry);
        Gauge.builder("vigil_outbox_acknowledged", shipped, AtomicLong::get)
                .description("Facts the coordinator acknowledged since the agent started").register(registry);
        Gauge.builder("vigil_outbox_pending", this, m -> Math.max(0, m.recorded.get() - m.shipped.get()))
                .description("Facts of this run not yet acknowledged by the coordinator (thinned facts count as pending)")
                .register(registry);
        Gauge.builder("vigil_outbox_last_ack_timestamp_seconds", lastShippedEpochMillis, a -> a.get() / 1000.0)
                .description("When the coordinator last acknowledged facts (0: never in this run)").register(registry);
        Gauge.builder("vigil_outbox_unacknowledged_seconds", this, m -> m.unacknowledgedSeconds(System.currentTimeMillis()))
                .description("How long facts have waited in the outbox without an acknowledgement (0: none waiting): "
                        + "the coordinator link's lag").register(registry);
        registry.getPrometheusRegistry().register(new MultiCollector() {
            @Override
            public MetricSnapshots collect() {
                MetricSnapshots routers = RouterMetrics.snapshots(figures());
                Optional<dev.vigil.agent.balance.BalancerFigures> lb = balancerFigures();
                if (lb.isEmpty()) {
                    return routers;
                }
                List<io.prometheus.metrics.model.snapshots.MetricSnapshot> all = new java.util.ArrayList<>(routers.stream().toList());
                all.addAll(BalancerMetrics.snapshots(lb.get()));
                return new MetricSnapshots(all);
            }
        });
    }

    /** Where the TCP proxy's figures come from, when the configuration has virtual servers. */
    public void readBalancerFrom(Supplier<Optional<CompletableFuture<dev.vigil.agent.balance.BalancerFigures>>> source) {
        this.balancer = source;
    }

    private Optional<dev.vigil.agent.balance.BalancerFigures> balancerFigures() {
        try {
            Optional<CompletableFuture<dev.vigil.agent.balance.BalancerFigures>> f = balancer.get();
            return f.isEmpty() ? Optional.empty() : Optional.of(f.get().get(LOOP_ANSWER.toMillis(), TimeUnit.MILLISECONDS));
        } catch (TimeoutException | ExecutionException | RuntimeException e) {
            return Optional.empty(); // a proxy loop that does not answer: its figures are left out of this scrape
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** Where the routers' figures come from once the daemon runs ({@code AgentDaemon::figures}). */
    public void readRoutersFrom(Supplier<CompletableFuture<List<RouterFigures>>> source) {
        this.routers = source;
    }

    private Optional<List<RouterFigures>> figures() {
        try {
            return Optional.of(routers.get().get(LOOP_ANSWER.toMillis(), TimeUnit.MILLISECONDS));
        } catch (TimeoutException | ExecutionException | RuntimeException e) {
            return Optional.empty(); // stuck, failed, or already stopped: not answering is the figure
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** One fact on its way to the outbox. */
    public void observe(AgentFact fact) {
        if (recorded.incrementAndGet() > shipped.get()) {
            waitingSinceEpochMillis.compareAndSet(0, System.currentTimeMillis());
        }
        if (registry == null) {
            return;
        }
        if (fact instanceof AgentFact.RouterStateChanged t) {
            Counter.builder("vigil_vrrp_transitions").description("State transitions of a VRRP instance")
                    .tags("iname", t.router().instance(), "vrid", Integer.toString(t.router().vrid()),
                            "from", t.from().name(), "to", t.to().name())
                    .register(registry).increment();
        } else if (fact instanceof AgentFact.TrackerResultChanged r) {
            String kind = r.kind().toLowerCase(Locale.ROOT);
            AtomicLong healthy = trackerHealthy.computeIfAbsent(r.tracker() + "\u0000" + kind, k -> {
                AtomicLong h = new AtomicLong();
                Gauge.builder("vigil_tracker_healthy", h, AtomicLong::get).description("1 while the tracker's check passes")
                        .tags("tracker", r.tracker(), "kind", kind).register(registry);
                if (kind.equals("script")) {
                    // keepalived-exporter's name for a vrrp_script's result (1 good, 0 bad)
                    Gauge.builder("keepalived_script_status", h, AtomicLong::get).description("Tracker script status")
                            .tags("name", r.tracker()).register(registry);
                }
                return h;
            });
            healthy.set(r.healthy() ? 1 : 0);
            Timer.builder("vigil_tracker_check_duration").description("How long the check that changed a tracker's result took")
                    .tags("tracker", r.tracker(), "kind", kind).register(registry)
                    .record(Duration.ofNanos(Math.max(0, r.latencyNanos())));
        } else if (fact instanceof AgentFact.PriorityChanged) {
            Counter.builder("vigil_vrrp_priority_changes").description("Effective priority changes")
                    .tags("iname", ((AgentFact.PriorityChanged) fact).router().instance()).register(registry).increment();
        }
        Counter.builder("vigil_facts").description("Facts observed, by type").tags("type", fact.getClass().getSimpleName())
                .register(registry).increment();
    }

    /** The coordinator acknowledged {@code count} facts (the outbox's onStored listener). */
    public void acknowledged(int count) {
        long now = System.currentTimeMillis();
        long acked = shipped.addAndGet(count);
        lastShippedEpochMillis.set(now);
        // what still waits came after the facts just confirmed: its wait is counted from this acknowledgement
        waitingSinceEpochMillis.set(recorded.get() > acked ? now : 0);
    }

    /** Seconds the oldest unacknowledged facts have waited (an upper bound after a partial acknowledgement). */
    double unacknowledgedSeconds(long nowEpochMillis) {
        long since = waitingSinceEpochMillis.get();
        return since == 0 || recorded.get() <= shipped.get() ? 0 : Math.max(0, nowEpochMillis - since) / 1000.0;
    }

    /** The outbox and coordinator link for {@code vigilctl status}. */
    public dev.vigil.agent.control.ReportingStatus reporting(List<String> coordinators) {
        long last = lastShippedEpochMillis.get();
        return new dev.vigil.agent.control.ReportingStatus(coordinators, recorded.get(), shipped.get(),
                last == 0 ? "never" : java.time.Instant.ofEpochMilli(last).toString(),
                unacknowledgedSeconds(System.currentTimeMillis()));
    }

    /** The Prometheus text format. */
    public String scrape() {
        if (registry == null) {
            throw new IllegalStateException("these metrics were made for no endpoint");
        }
        return registry.scrape();
    }

    public void close() {
        if (registry != null) {
            registry.close();
        }
    }
}
