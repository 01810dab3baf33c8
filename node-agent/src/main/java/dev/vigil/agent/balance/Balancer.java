package dev.vigil.agent.balance;

import dev.vigil.agent.check.ScriptLauncher;
import dev.vigil.agent.config.GlobalDefs;
import dev.vigil.agent.config.IpText;
import dev.vigil.agent.config.ServiceAddress;
import dev.vigil.agent.config.VirtualServer;
import dev.vigil.model.AgentFact;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Every virtual server of the configuration, forwarded by a user-space TCP proxy on one event loop of its own (so a
 * busy proxy never delays a VRRP advert). A virtual address that is a VIP of some vrrp_instance is listened on only
 * while this node holds it: {@link #vipsAdded} after the kernel took the address, {@link #vipsRemoved} when it goes.
 * Any other address (a host address, 0.0.0.0, 127.0.0.1) is listened on from the start.
 *
 * <p>Entry point: {@link #start}. Thread-safe: calls hop onto the balancer's loop.
 */
public final class Balancer implements AutoCloseable {
    private static final org.slf4j.Logger LOG = LoggerFactory.getLogger("dev.vigil.agent.balance");

    private final Vertx vertx;
    private final Context loop;
    private final List<VirtualServerProxy> proxies = new ArrayList<>();
    /** Virtual servers retired by a reload whose forwarded connections have not all ended yet. */
    private final List<VirtualServerProxy> retired = new ArrayList<>();
    /** Every VIP of every vrrp_instance (replaced by a reload), and those this node holds now: loop only. */
    private Set<String> vipAddresses;
    private final Set<String> held = new java.util.HashSet<>();
    private final ScriptLauncher scripts;
    private final AtomicLong buffered = new AtomicLong();
    private final AtomicLong peakBuffered = new AtomicLong();
    private long reportTimer = -1;

    private Balancer(List<VirtualServer> servers, Set<String> vipAddresses, BalancerSettings settings,
                     Consumer<AgentFact> facts, ScriptLauncher scripts) {
        this.vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(1).setWorkerPoolSize(1)
                .setBlockedThreadCheckInterval(10).setBlockedThreadCheckIntervalUnit(TimeUnit.SECONDS));
        this.loop = vertx.getOrCreateContext();
        this.vipAddresses = Set.copyOf(vipAddresses);
        this.scripts = scripts;
        for (VirtualServer vs : servers) {
            proxies.add(new VirtualServerProxy(vertx, loop, vs, settings, buffered, peakBuffered, facts, scripts));
        }
        this.settings = settings;
        this.facts = facts;
    }

    private final BalancerSettings settings;
    private final Consumer<AgentFact> facts;

    /**
     * Starts the checks and the listeners that do not wait for a VIP; returns once those listeners are bound (or
     * failed to bind, which is logged: the others still run).
     *
     * @param vipAddresses every VIP of every vrrp_instance, as {@link IpText} prints them
     */
    public static Balancer start(List<VirtualServer> servers, GlobalDefs globals, Set<String> vipAddresses,
                                 BalancerSettings settings, Consumer<AgentFact> facts) {
        Balancer b = new Balancer(servers, vipAddresses, settings, facts, ScriptLauncher.fromGlobals(globals, 2));
        LoggerFactory.getLogger("dev.vigil.agent.balance").info("{} virtual server(s), transport {}", servers.size(),
                b.vertx.isNativeTransportEnabled() ? "epoll" : "NIO (" + b.vertx.unavailableNativeTransportCause() + ")");
        b.onLoop(() -> {
            List<Future<Void>> binds = new ArrayList<>();
            for (VirtualServerProxy p : b.proxies) {
                p.startChecks();
                for (ServiceAddress a : p.virtualServer().listen()) {
                    if (!b.vipAddresses.contains(IpText.of(a.ip()))) {
                        binds.add(p.listen(a).otherwiseEmpty());
                    }
                }
            }
            b.reportTimer = b.vertx.setPeriodic(settings.reportInterval().toMillis(), id -> {
                b.proxies.forEach(VirtualServerProxy::report);
                b.closeDrainedRetirees();
            });
            return Future.join(binds).mapEmpty();
        }).join();
        return b;
    }

    private CompletableFuture<Void> onLoop(java.util.function.Supplier<Future<Void>> work) {
        Promise<Void> p = Promise.promise();
        loop.runOnContext(v -> work.get().onComplete(p));
        return p.future().toCompletionStage().toCompletableFuture();
    }

    /** The kernel took these addresses (this node became master): listen on the virtual servers among them. */
    public CompletableFuture<Void> vipsAdded(Collection<String> addresses) {
        return onLoop(() -> {
            held.addAll(addresses);
            List<Future<Void>> binds = new ArrayList<>();
            for (VirtualServerProxy p : proxies) {
                for (ServiceAddress a : p.virtualServer().listen()) {
                    if (addresses.contains(IpText.of(a.ip()))) {
                        binds.add(p.listen(a).otherwiseEmpty());
                    }
                }
            }
            return Future.join(binds).mapEmpty();
        });
    }

    /**
     * These addresses are gone (or going): stop listening on them. Closing a Vert.x server closes the connections it
     * accepted too, which is what a VIP that left wants: its clients' packets go to the new holder now.
     */
    public CompletableFuture<Void> vipsRemoved(Collection<String> addresses) {
        return onLoop(() -> {
            held.removeAll(addresses);
            List<Future<Void>> closes = new ArrayList<>();
            for (VirtualServerProxy p : proxies) {
                for (ServiceAddress a : p.virtualServer().listen()) {
                    if (addresses.contains(IpText.of(a.ip()))) {
                        closes.add(p.unlisten(a));
                    }
                }
            }
            return Future.join(closes).mapEmpty();
        });
    }

    /**
     * Applies a reload's virtual servers ({@link VirtualServerChange}): kept ones go on untouched, retired ones stop
     * accepting and checking (their forwarded connections end on their own), new ones start their checks and listen
     * on their addresses that are no VIP or a VIP this node holds now. A kept one whose address became a VIP this
     * node does not hold stops listening there, and the reverse. Completes once the listeners are bound.
     *
     * @param vipAddresses every VIP of every vrrp_instance of the new configuration, as {@link IpText} prints them
     */
    public CompletableFuture<VirtualServerChange> reconfigure(List<VirtualServer> next, Set<String> vipAddresses) {
        CompletableFuture<VirtualServerChange> done = new CompletableFuture<>();
        loop.runOnContext(v -> {
            VirtualServerChange change = VirtualServerChange.plan(proxies.stream().map(VirtualServerProxy::virtualServer).toList(), next);
            this.vipAddresses = Set.copyOf(vipAddresses);
            Map<ServiceAddress, ServiceListener> released = new HashMap<>();
            Map<ServiceAddress, String> releasedBy = new HashMap<>();
            for (VirtualServer gone : change.retiring()) {
                VirtualServerProxy p = proxies.stream().filter(x -> x.virtualServer() == gone).findFirst().orElseThrow();
                proxies.remove(p);
                retired.add(p);
                LOG.info("[{}] retired by the reload: no new connections; {} open one(s) left to end", gone.name(), p.openConnections());
                p.retire().forEach((a, l) -> {
                    released.put(a, l);
                    releasedBy.put(a, gone.name());
                });
            }
            for (VirtualServer vs : change.starting()) {
                VirtualServerProxy p = new VirtualServerProxy(vertx, loop, vs, settings, buffered, peakBuffered, facts, scripts);
                proxies.add(p);
                p.startChecks();
                LOG.info("[{}] started by the reload", vs.name());
            }
            List<Future<Void>> binds = new ArrayList<>();
            for (VirtualServerProxy p : proxies) {
                for (ServiceAddress a : p.virtualServer().listen()) {
                    String ip = IpText.of(a.ip());
                    boolean wanted = !this.vipAddresses.contains(ip) || held.contains(ip);
                    ServiceListener handed = wanted ? released.remove(a) : null;
                    if (handed != null) {
                        p.adopt(a, handed);
                    } else {
                        binds.add(wanted ? p.listen(a).otherwiseEmpty() : p.unlisten(a));
                    }
                }
            }
            released.forEach((a, l) -> VirtualServerProxy.stopAccepting(releasedBy.get(a), a, l));
            closeDrainedRetirees();
            Future.join(binds).onComplete(ar -> done.complete(change));
        });
        return done;
    }

    /** Virtual servers configured now (after the last reload), read on the loop. */
    public List<VirtualServer> virtualServers() {
        return onLoopValue(() -> proxies.stream().map(VirtualServerProxy::virtualServer).toList());
    }

    private void closeDrainedRetirees() {
        retired.removeIf(p -> {
            if (p.openConnections() > 0) {
                return false;
            }
            p.close();
            return true;
        });
    }

    /** Is a listener up on {@code a} now? */
    public boolean isListening(ServiceAddress a) {
        return onLoopValue(() -> proxies.stream().anyMatch(p -> p.isListening(a)));
    }

    private <T> T onLoopValue(java.util.function.Supplier<T> f) {
        CompletableFuture<T> r = new CompletableFuture<>();
        loop.runOnContext(v -> r.complete(f.get()));
        return r.join();
    }

    /** Everything a metrics scrape shows, answered on the proxy's loop (the caller bounds the wait). */
    public CompletableFuture<BalancerFigures> figures() {
        CompletableFuture<BalancerFigures> r = new CompletableFuture<>();
        loop.runOnContext(v -> r.complete(new BalancerFigures(
                proxies.stream().flatMap(p -> p.stats().stream()).toList(), buffered.get(), peakBuffered.get(),
                proxies.stream().mapToLong(VirtualServerProxy::refused).sum())));
        return r;
    }

    /** Per real server counters of every virtual server. */
    public List<ServerStats> stats() {
        return onLoopValue(() -> proxies.stream().flatMap(p -> p.stats().stream()).toList());
    }

    /** Bytes written by the proxy and not yet taken by the kernel, over every connection now. */
    public long bufferedBytes() {
        return buffered.get();
    }

    /** The most one direction of one connection has held, over every connection so far (closed ones included). */
    public long peakConnectionBuffered() {
        return peakBuffered.get();
    }

    /** Connections refused (no quorum and no sorry server, or no real server up). */
    public long refused() {
        return onLoopValue(() -> proxies.stream().mapToLong(VirtualServerProxy::refused).sum());
    }

    /** Logs the counters that moved now (also done every report interval). */
    public void report() {
        onLoopValue(() -> {
            proxies.forEach(VirtualServerProxy::report);
            return null;
        });
    }

    @Override
    public void close() {
        try {
            onLoop(() -> {
                if (reportTimer >= 0) {
                    vertx.cancelTimer(reportTimer);
                }
                List<Future<Void>> all = new ArrayList<>();
                proxies.forEach(p -> all.add(p.close()));
                retired.forEach(p -> all.add(p.close()));
                return Future.join(all).mapEmpty();
            }).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            // closing anyway
        } finally {
            scripts.close();
            vertx.close();
        }
    }
}
