package dev.vigil.agent.daemon;

import dev.vigil.agent.check.ScriptLauncher;
import dev.vigil.agent.config.AgentConfig;
import dev.vigil.agent.notify.NotifyFifos;
import dev.vigil.agent.notify.NotifyRunner;
import dev.vigil.agent.net.IpFamily;
import dev.vigil.agent.net.LinkMonitor;
import dev.vigil.agent.net.LinkStateChanged;
import dev.vigil.agent.net.LinuxCallFailed;
import dev.vigil.agent.net.ReceivedPacket;
import dev.vigil.agent.net.Rtnetlink;
import dev.vigil.agent.net.VirtualAddress;
import dev.vigil.agent.net.VrrpSocket;
import dev.vigil.agent.net.VrrpSocketSpec;
import dev.vigil.agent.vrrp.AdvertDemux;
import dev.vigil.agent.vrrp.IpAddress;
import dev.vigil.agent.vrrp.RouterInput;
import dev.vigil.agent.vrrp.VrrpRouter;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import dev.vigil.model.AgentFact;
import java.util.concurrent.TimeUnit;

/**
 * The running agent: every configured {@code vrrp_instance} as a {@link RouterHost} on one Vert.x event loop,
 * the raw sockets they share (one per interface, family and source, as keepalived shares them) with a demux each,
 * link state from netlink, and VIPs through the {@link AddressKeeper}.
 *
 * <p>Start order follows keepalived: leftover VIPs of the configured instances are removed before any socket
 * opens, then the sockets, then the routers start.
 */
public final class AgentDaemon {
    private static final Logger LOG = LoggerFactory.getLogger("dev.vigil.agent");
    /** keepalived waits for no notify script; one that hangs longer than this is killed so later ones run. */
    private static final java.time.Duration NOTIFY_TIMEOUT = java.time.Duration.ofSeconds(10);

    private final AgentConfig config;
    private final Vertx vertx;
    private final Context loop;
    private final Rtnetlink rtnetlink;
    private final AddressKeeper addresses;
    private final DeadlineTimer timers;
    private final List<VrrpSocket> sockets = new ArrayList<>();
    private final List<RouterHost> hosts = new ArrayList<>();
    private final Map<VrrpRouter, RouterHost> byRouter = new IdentityHashMap<>();
    private LinkMonitor links;
    private ScriptLauncher launcher;
    private NotifyRunner notify;
    private TrackedChecks checks;
    private final Consumer<AgentFact> facts;
    private volatile boolean stopping;

    private AgentDaemon(AgentConfig config, Vertx vertx, Rtnetlink rtnetlink, Consumer<AgentFact> facts) {
        this.config = config;
        this.vertx = vertx;
        this.loop = vertx.getOrCreateContext();
        this.rtnetlink = rtnetlink;
        this.facts = facts;
        this.addresses = new AddressKeeper(rtnetlink, facts);
        this.timers = new DeadlineTimer(loop);
    }

    /**
     * Starts every instance of {@code config}.
     *
     * @throws IllegalArgumentException an instance cannot run on this host (no such interface, no source address)
     * @throws LinuxCallFailed          a socket or netlink call was refused (capabilities, missing device)
     */
    public static AgentDaemon start(AgentConfig config) throws LinuxCallFailed {
        return start(config, fact -> { });
    }

    /**
     * Starts every instance of {@code config}, handing each fact it observes (transitions, VIP changes) to
     * {@code facts}, which must not block: it is called on the event loop and the netlink thread.
     */
    public static AgentDaemon start(AgentConfig config, Consumer<AgentFact> facts) throws LinuxCallFailed {
        // One event loop is plenty for hundreds of routers and keeps the footprint small on a database host.
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1)
                .setInternalBlockingPoolSize(1));
        Rtnetlink rtnetlink = null;
        try {
            rtnetlink = Rtnetlink.open();
            AgentDaemon d = new AgentDaemon(config, vertx, rtnetlink, facts);
            d.open();
            return d;
        } catch (LinuxCallFailed | RuntimeException e) {
            if (rtnetlink != null) {
                rtnetlink.close();
            }
            vertx.close();
            throw e;
        }
    }

    private void open() throws LinuxCallFailed {
        List<ConfiguredInstance> instances = new ArrayList<>();
        for (var i : config.instances()) {
            instances.add(ConfiguredInstance.resolve(i, config.global(), this::primaryAddress));
        }
        List<VirtualAddress> allVips = instances.stream().flatMap(i -> i.vips().values().stream()).toList();
        rtnetlink.removeLeftovers(allVips).forEach(a ->
                LOG.info("removed VIP {} left on the host by an earlier run", a));

        // Scripts (checks and notifies) share one launcher; a FIFO reader script holds one of its threads for good.
        int scriptThreads = 2 + config.scripts().size()
                + (config.global().notifyFifo().isPresent() ? 1 : 0) + (config.global().vrrpNotifyFifo().isPresent() ? 1 : 0);
        launcher = ScriptLauncher.fromGlobals(config.global(), scriptThreads);
        notify = NotifyRunner.forConfig(config, NotifyFifos.open(config.global(), launcher), launcher, NOTIFY_TIMEOUT, facts);
        notify.refusals().forEach((command, reason) -> LOG.error("notify script {} will not run: {}", command, reason));
        checks = TrackedChecks.prepare(config, launcher, facts, c -> loop.runOnContext(v -> scriptChanged(c)),
                f -> loop.runOnContext(v -> fileChanged(f)));

        Map<VrrpSocketSpec, List<ConfiguredInstance>> bySocket = new LinkedHashMap<>();
        for (ConfiguredInstance i : instances) {
            bySocket.computeIfAbsent(i.socket(), s -> new ArrayList<>()).add(i);
        }
        try {
            for (var e : bySocket.entrySet()) {
                VrrpSocketSpec spec = e.getKey();
                dev.vigil.agent.vrrp.IpFamily family = spec.family() == IpFamily.IPV4
                        ? dev.vigil.agent.vrrp.IpFamily.IPV4 : dev.vigil.agent.vrrp.IpFamily.IPV6;
                AdvertDemux demux = new AdvertDemux(family);
                List<RouterHost> onSocket = new ArrayList<>();
                VrrpSocket socket = VrrpSocket.open(spec, p -> loop.runOnContext(v -> receive(demux, p)));
                sockets.add(socket);
                for (ConfiguredInstance i : e.getValue()) {
                    VrrpRouter router = new VrrpRouter(i.router());
                    demux.add(router);
                    RouterHost h = new RouterHost(i, router, socket, addresses, vertx, timers, facts, notify);
                    onSocket.add(h);
                    hosts.add(h);
                    byRouter.put(router, h);
                }
                LOG.info("VRRP socket {} {} source {}{} for {}", spec.interfaceName(), spec.family(),
                        spec.sourceAddress().map(InetAddress::getHostAddress).orElse("-"),
                        spec.multicastGroup().map(g -> " group " + g.getHostAddress()).orElse(" unicast"),
                        onSocket.stream().map(h -> h.instance().name()).toList());
            }
            Set<String> interfaces = new LinkedHashSet<>();
            hosts.forEach(h -> interfaces.add(h.instance().interfaceName()));
            hosts.forEach(h -> h.instance().source().trackInterfaces().forEach(t -> interfaces.add(t.name())));
            Set<String> initiallyFailed = checks.initiallyFailed();
            checks.startFiles(); // init_file and the first read (no host list change after this: changes may come)
            Map<String, Boolean> usable = new LinkedHashMap<>();
            for (String name : interfaces) {
                usable.put(name, rtnetlink.link(name).map(l -> l.isUsable()).orElse(false));
            }
            CompletableFuture<Void> started = new CompletableFuture<>();
            loop.runOnContext(v -> {
                try {
                    for (RouterHost h : hosts) {
                        if (!usable.get(h.instance().interfaceName())) {
                            h.handle(new RouterInput.InterfaceChanged(false)); // so Start enters FAULT
                        }
                        for (var t : h.instance().source().trackInterfaces()) {
                            h.handle(new RouterInput.TrackerChanged(ConfiguredInstance.interfaceTracker(t.name()),
                                    ConfiguredInstance.routerOk(usable.get(t.name()), t.reverse())));
                        }
                        for (var t : h.instance().source().trackScripts()) {
                            if (initiallyFailed.contains(t.name())) {
                                h.handle(new RouterInput.TrackerChanged(t.name(),
                                        ConfiguredInstance.routerOk(false, t.reverse())));
                            }
                        }
                        for (var t : h.instance().source().trackFiles()) {
                            h.handle(fileInput(t));
                        }
                        h.handle(new RouterInput.Start());
                    }
                    started.complete(null);
                } catch (RuntimeException ex) {
                    started.completeExceptionally(ex);
                }
            });
            started.get(10, TimeUnit.SECONDS);
            links = LinkMonitor.open(interfaces, e -> loop.runOnContext(v -> linkChanged(e)));
            checks.start();
        } catch (LinuxCallFailed | RuntimeException e) {
            closeResources();
            throw e;
        } catch (Exception e) {
            closeResources();
            throw new IllegalStateException("routers did not start: " + e, e);
        }
    }

    private Optional<InetAddress> primaryAddress(String device, IpFamily family) {
        try {
            return rtnetlink.primaryAddress(device, family);
        } catch (LinuxCallFailed e) {
            throw new IllegalArgumentException("interface " + device + ": " + e.getMessage(), e);
        }
    }

    /** On the event loop: one datagram from a reader thread. Never throws: bad input is counted and logged. */
    private void receive(AdvertDemux demux, ReceivedPacket p) {
        if (stopping) {
            return;
        }
        try {
            byte[] d = p.datagram();
            long now = System.nanoTime();
            AdvertDemux.Delivery delivery = p.source() instanceof java.net.Inet4Address
                    ? demux.receiveIpv4(d, 0, d.length, now)
                    : demux.receiveIpv6(d, 0, d.length, IpAddress.of(p.source()), IpAddress.of(p.destination()),
                    p.ttl(), now);
            if (delivery instanceof AdvertDemux.Delivery.Routed r) {
                RouterHost h = byRouter.get(r.router());
                h.execute(r.actions(), RouterHost.Trigger.ADVERT);
            } else if (delivery instanceof AdvertDemux.Delivery.Refused f && LOG.isDebugEnabled()) {
                LOG.debug("advert refused: {} {}", f.reason(), f.detail());
            }
        } catch (RuntimeException e) {
            LOG.warn("advert from {} dropped: {}", p.source(), e.toString());
        }
    }

    private void linkChanged(LinkStateChanged e) {
        if (stopping) {
            return;
        }
        LOG.info("interface {} {}", e.name(), e.usable() ? "is up" : "is down (" + e.operState() + ")");
        for (RouterHost h : hosts) {
            if (h.instance().interfaceName().equals(e.name())) {
                h.handle(new RouterInput.InterfaceChanged(e.usable()));
            }
            for (var t : h.instance().source().trackInterfaces()) {
                if (t.name().equals(e.name())) {
                    h.handle(new RouterInput.TrackerChanged(ConfiguredInstance.interfaceTracker(t.name()),
                            ConfiguredInstance.routerOk(e.usable(), t.reverse())));
                }
            }
        }
    }

    private RouterInput fileInput(dev.vigil.agent.config.TrackedFile t) {
        var effect = checks.fileEffect(t);
        return new RouterInput.TrackerContributionChanged(ConfiguredInstance.fileTracker(t.name()), effect.fault(),
                effect.delta());
    }

    /** On the event loop: a tracked file's value changed; every instance tracking it gets its new effect. */
    private void fileChanged(String file) {
        if (stopping) {
            return;
        }
        for (RouterHost h : hosts) {
            for (var t : h.instance().source().trackFiles()) {
                if (t.name().equals(file)) {
                    h.handle(fileInput(t));
                }
            }
        }
    }

    /** On the event loop: a tracked script's status changed; every instance tracking it hears it. */
    private void scriptChanged(TrackedChecks.Changed c) {
        if (stopping) {
            return;
        }
        for (RouterHost h : hosts) {
            for (var t : h.instance().source().trackScripts()) {
                if (t.name().equals(c.script())) {
                    h.handle(new RouterInput.TrackerChanged(t.name(), ConfiguredInstance.routerOk(c.ok(), t.reverse())));
                }
            }
        }
    }

    /**
     * Stops every router as RFC 5798 §6.4 Shutdown says (a master sends priority 0 and removes its VIPs), waits at
     * most {@code budgetMillis} for the VIPs to go, then releases everything.
     */
    public void stop(long budgetMillis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(budgetMillis);
        CompletableFuture<Void> stopped = new CompletableFuture<>();
        loop.runOnContext(v -> {
            try {
                for (RouterHost h : hosts) {
                    h.handle(new RouterInput.ShutdownRequested());
                }
            } finally {
                stopping = true;
                stopped.complete(null);
            }
        });
        try {
            stopped.get(Math.max(1, budgetMillis / 2), TimeUnit.MILLISECONDS);
            addresses.drained().get(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
            // the STOP notifies were queued by the routers' shutdown transitions
            notify.drained().get(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.warn("shutdown did not finish in {} ms: {}", budgetMillis, e.toString());
        }
        closeResources();
    }

    private void closeResources() {
        stopping = true;
        if (checks != null) {
            checks.close();
        }
        if (links != null) {
            links.close();
        }
        if (notify != null) {
            notify.close(java.time.Duration.ofMillis(100));
        }
        if (launcher != null) {
            launcher.close(); // SIGTERM to scripts still running
        }
        sockets.forEach(VrrpSocket::close);
        timers.close();
        addresses.close();
        rtnetlink.close();
        Promise<Void> closed = Promise.promise();
        vertx.close().onComplete(closed);
    }

    /** Every router's figures for metrics, copied on the event loop (a loop that does not answer is news too). */
    public CompletableFuture<List<RouterFigures>> figures() {
        CompletableFuture<List<RouterFigures>> out = new CompletableFuture<>();
        loop.runOnContext(v -> out.complete(hosts.stream().map(RouterFigures::of).toList()));
        return out;
    }
}
