package dev.vigil.agent.daemon;

import dev.vigil.agent.balance.Balancer;
import dev.vigil.agent.balance.BalancerSettings;
import dev.vigil.agent.check.ScriptLauncher;
import dev.vigil.agent.config.AgentConfig;
import dev.vigil.agent.control.InstanceStatus;
import dev.vigil.agent.config.IpText;
import dev.vigil.agent.notify.NotifyFifos;
import dev.vigil.agent.notify.NotifyRunner;
import dev.vigil.agent.net.IpFamily;
import dev.vigil.agent.net.LinkMonitor;
import dev.vigil.agent.net.LinkStateChanged;
import dev.vigil.agent.net.LinuxCallFailed;
import dev.vigil.agent.net.ReceivedPacket;
import dev.vigil.agent.net.ThreadScheduling;
import dev.vigil.agent.net.Rtnetlink;
import dev.vigil.agent.net.VirtualAddress;
import dev.vigil.agent.net.VrrpSocket;
import dev.vigil.agent.net.VrrpSocketSpec;
import dev.vigil.agent.vrrp.AdvertDemux;
import dev.vigil.agent.vrrp.IpAddress;
import dev.vigil.agent.vrrp.RouterInput;
import dev.vigil.agent.vrrp.VrrpRouter;
import io.vertx.core.internal.ContextInternal;
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
import java.util.stream.Collectors;
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

    private volatile AgentConfig config;
    private final Vertx vertx;
    private final ContextInternal loop;
    /** The receive sockets are read on the loop itself (epoll transport), else by a reader thread each. */
    private final boolean receiveOnLoop;
    private final Rtnetlink rtnetlink;
    private final AddressKeeper addresses;
    private final LoopTimer timers;
    /** Raw sockets by what they are; the map changes only on the reload thread, before or after the loop's work. */
    private final Map<VrrpSocketSpec, SharedSocket> sockets = new java.util.concurrent.ConcurrentHashMap<>();
    private final List<RouterHost> hosts = new ArrayList<>(); // changed on the loop only (after open)
    private final Map<VrrpRouter, RouterHost> byRouter = new IdentityHashMap<>();
    private LinkMonitor links;
    private Set<String> watchedInterfaces = Set.of();
    private ScriptLauncher launcher;
    private NotifyRunner notify;
    private SyncGroups groups;
    /** Routers not started yet: a weight-0 script they track has no verdict (loop only). */
    private final List<RouterHost> heldInInit = new ArrayList<>();
    /** The check sets started at open and by each reload (a reload starts only the new and changed checks). */
    private final List<TrackedChecks> checkSets = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** One raw socket and the demux of the routers that share it. */
    private record SharedSocket(VrrpSocket socket, AdvertDemux demux, Optional<LoopReceiver> onLoop) {
        void close() {
            onLoop.ifPresentOrElse(LoopReceiver::close, socket::close);
        }
    }
    private final Consumer<AgentFact> facts;
    private volatile boolean stopping;
    /** The TCP proxy of the virtual servers, when the file has any (issue 10). */
    private volatile Balancer balancer;
    /** VIPs this node holds now, as {@link IpText} prints them; also the lock for starting and stopping {@link #balancer}. */
    private final Set<String> heldVips = new java.util.HashSet<>();

    private AgentDaemon(AgentConfig config, Vertx vertx, Rtnetlink rtnetlink, Consumer<AgentFact> facts) {
        this.config = config;
        this.vertx = vertx;
        this.loop = (ContextInternal) vertx.getOrCreateContext();
        this.receiveOnLoop = vertx.isNativeTransportEnabled() && LoopReceiver.supported(loop);
        this.timers = new LoopTimer(loop);
        if (receiveOnLoop) {
            LOG.info("adverts read on the event loop (epoll transport), protocol timers on the loop ({})",
                    timers.onTimerFd() ? "timerfd" : "Netty's scheduled tasks");
        } else {
            LOG.warn("adverts read by a thread per socket, protocol timers on the loop in whole milliseconds: native "
                    + "transport unavailable ({})", vertx.isNativeTransportEnabled() ? "loop takes no descriptors"
                    : String.valueOf(vertx.unavailableNativeTransportCause()));
        }
        this.rtnetlink = rtnetlink;
        this.facts = facts;
        this.addresses = new AddressKeeper(rtnetlink, fact -> {
            facts.accept(fact);
            balancerSees(fact);
        });
        onLoop(() -> scheduleLoopThread(config.global()), "event loop scheduling");
    }

    /**
     * On the loop thread: its timed waits end no earlier than the deadline, late by at most 1 µs of timer slack
     * rather than the default 50 µs (the protocol deadlines wait on a timerfd, which has none: LoopTimer); {@code vrrp_rt_priority} / {@code vrrp_priority} apply to it as keepalived applies them to its
     * VRRP process (round-robin real-time, reset on fork, else the nice value; neither by default). A refusal (no
     * CAP_SYS_NICE, an RT budget of 0 in a cgroup) is logged and the loop runs as it was, as in keepalived.
     */
    private static void scheduleLoopThread(dev.vigil.agent.config.GlobalDefs global) {
        try {
            ThreadScheduling.timerSlack(1_000);
        } catch (LinuxCallFailed e) {
            LOG.warn("timer slack of the event loop unchanged: {}", e.getMessage());
        }
        try {
            if (global.vrrpRtPriority() > 0) {
                ThreadScheduling.roundRobin(global.vrrpRtPriority());
                LOG.info("event loop thread: SCHED_RR priority {} (vrrp_rt_priority)", global.vrrpRtPriority());
                // keepalived's setting covers its whole VRRP process; here the loop also stops at every safepoint
                // (a young collection of the serial collector runs in the VM thread): a VM thread at normal
                // priority behind busy processes would hold the real-time loop for as long as it waits for a core
                for (int tid : ThreadScheduling.threadsNamed(VM_THREAD)) {
                    try {
                        ThreadScheduling.roundRobin(tid, global.vrrpRtPriority());
                        LOG.info("JVM thread '{}' ({}): SCHED_RR priority {} (vrrp_rt_priority)", VM_THREAD, tid,
                                global.vrrpRtPriority());
                    } catch (LinuxCallFailed e) {
                        LOG.warn("JVM thread '{}': scheduling unchanged: {}", VM_THREAD, e.getMessage());
                    }
                }
            } else if (global.vrrpPriority() != 0) {
                ThreadScheduling.nice(global.vrrpPriority());
                LOG.info("event loop thread: nice {} (vrrp_priority)", global.vrrpPriority());
            }
        } catch (LinuxCallFailed e) {
            LOG.warn("event loop thread: scheduling unchanged: {}", e.getMessage());
        }
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
        // The native (epoll) transport lets the loop wait on the raw VRRP sockets and time in nanoseconds.
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1)
                .setInternalBlockingPoolSize(1).setPreferNativeTransport(true));
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

    /** Past C1's thresholds (200 calls, 2,000 with loops) for jnr-ffi's invoker: about 1 ms at start. */
    private static final int SEND_WARM_UP_ROUNDS = 2_000;

    /** Past C1's threshold (~200 calls, checked every 128) for Netty's epoll loop methods, with margin. */
    private static final int LOOP_WARM_UP_ROUNDS = 1_000;

    /** HotSpot's name for the thread that runs safepoint operations, the serial collector's among them. */
    private static final String VM_THREAD = "VM Thread";

    private void open() throws LinuxCallFailed {
        List<ConfiguredInstance> instances = new ArrayList<>();
        for (var i : config.instances()) {
            instances.add(ConfiguredInstance.resolve(i, config.global(), this::primaryAddress,
                    SyncGroups.groupOf(config, i.name())));
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
        groups = new SyncGroups(config, notify);
        TrackedChecks checks = prepareChecks(config, name -> true);

        if (!config.virtualServers().isEmpty()) {
            Set<String> vipTexts = allVips.stream().map(v -> IpText.of(v.address())).collect(Collectors.toSet());
            balancer = Balancer.start(config.virtualServers(), config.global(), vipTexts, BalancerSettings.DEFAULTS, facts);
        }
        try {
            List<RouterHost> started = createHosts(instances);
            checks.startFiles(); // init_file and the first read (no host list change after this: changes may come)
            startRouters(started);
            watchInterfaces();
            checks.start();
        } catch (LinuxCallFailed | RuntimeException e) {
            closeResources();
            throw e;
        }
    }

    private TrackedChecks prepareChecks(AgentConfig c, java.util.function.Predicate<String> wanted) {
        TrackedChecks checks = TrackedChecks.prepare(c, launcher, facts, ch -> loop.runOnContext(v -> scriptChanged(ch)),
                f -> loop.runOnContext(v -> fileChanged(f)), wanted);
        checkSets.add(checks);
        return checks;
    }

    /**
     * Makes a router and its host per instance, on the sockets they share (opened when new; blocking). The hosts
     * are not in {@link #hosts} yet: {@link #startRouters} puts them there on the loop.
     */
    private List<RouterHost> createHosts(List<ConfiguredInstance> instances) throws LinuxCallFailed {
        Map<VrrpSocketSpec, List<ConfiguredInstance>> bySocket = new LinkedHashMap<>();
        for (ConfiguredInstance i : instances) {
            bySocket.computeIfAbsent(i.socket(), s -> new ArrayList<>()).add(i);
        }
        List<RouterHost> out = new ArrayList<>();
        for (var e : bySocket.entrySet()) {
            VrrpSocketSpec spec = e.getKey();
            SharedSocket shared = sockets.get(spec);
            if (shared == null) {
                dev.vigil.agent.vrrp.IpFamily family = spec.family() == IpFamily.IPV4
                        ? dev.vigil.agent.vrrp.IpFamily.IPV4 : dev.vigil.agent.vrrp.IpFamily.IPV6;
                AdvertDemux demux = new AdvertDemux(family);
                if (receiveOnLoop) {
                    VrrpSocket socket = VrrpSocket.openPolled(spec);
                    // IPv4: the whole packet decoded from one reused buffer (no per-packet garbage)
                    Runnable drain = spec.family() == IpFamily.IPV4
                            ? drainIpv4(socket, demux) : () -> socket.drain(LoopReceiver.BATCH, p -> receive(demux, p));
                    try {
                        shared = new SharedSocket(socket, demux, Optional.of(LoopReceiver.register(socket, loop, drain, timers)));
                    } catch (RuntimeException ex) {
                        socket.close();
                        throw ex;
                    }
                } else {
                    shared = new SharedSocket(VrrpSocket.open(spec, p -> loop.runOnContext(v -> receive(demux, p))),
                            demux, Optional.empty());
                }
                sockets.put(spec, shared);
            }
            List<String> names = new ArrayList<>();
            for (ConfiguredInstance i : e.getValue()) {
                VrrpRouter router = new VrrpRouter(i.router());
                out.add(new RouterHost(i, router, shared.socket(), addresses, vertx, timers, facts, notify, groups));
                names.add(i.name());
            }
            LOG.info("VRRP socket {} {} source {}{} for {}", spec.interfaceName(), spec.family(),
                    spec.sourceAddress().map(InetAddress::getHostAddress).orElse("-"),
                    spec.multicastGroup().map(g -> " group " + g.getHostAddress()).orElse(" unicast"), names);
        }
        return out;
    }

    /** Interfaces the routers use or track. On the loop, or before the routers start. */
    private static Set<String> interfacesOf(List<RouterHost> hs) {
        Set<String> interfaces = new LinkedHashSet<>();
        hs.forEach(h -> interfaces.add(h.instance().interfaceName()));
        hs.forEach(h -> h.instance().source().trackInterfaces().forEach(t -> interfaces.add(t.name())));
        return interfaces;
    }

    /**
     * Tells each new router what it tracks (link state read now, script and file checks as they stand) and starts
     * it, on the loop; waits for that. The routers join the demuxes and {@link #hosts} there, so the first advert
     * they hear already finds them.
     */
    private void startRouters(List<RouterHost> started) throws LinuxCallFailed {
        Map<String, Boolean> usable = new LinkedHashMap<>();
        for (String name : interfacesOf(started)) {
            usable.put(name, rtnetlink.link(name).map(l -> l.isUsable()).orElse(false));
        }
        // one simulated takeover per kind of router (version, family, unicast), so the first real one runs compiled
        Map<String, dev.vigil.agent.vrrp.RouterConfig> kinds = new LinkedHashMap<>();
        started.forEach(h -> kinds.putIfAbsent(h.router().config().version() + "/" + h.router().config().family()
                + "/" + h.router().config().unicast(), h.router().config()));
        kinds.forEach((kind, c) -> LOG.debug("takeover warm-up {}: {} of {} rounds took over", kind,
                TakeoverWarmUp.run(c, TakeoverWarmUp.ROUNDS), TakeoverWarmUp.ROUNDS));
        // and the socket's send path, once per family (jnr-ffi's call is not covered by the agent's lower thresholds)
        Map<Object, RouterHost> families = new LinkedHashMap<>();
        started.forEach(h -> families.putIfAbsent(h.router().config().family(), h));
        families.values().forEach(h -> LOG.debug("send path warm-up ({}): {} of {} calls refused as expected",
                h.router().config().family(), h.warmSend(SEND_WARM_UP_ROUNDS), SEND_WARM_UP_ROUNDS));
        // and the loop's own path from a timerfd wake-up to a slot's task (Netty's part is not ours to lower thresholds for)
        LOG.debug("loop warm-up: {} of {} timerfd wake-ups", timers.warmUp(LOOP_WARM_UP_ROUNDS), LOOP_WARM_UP_ROUNDS);
        Map<String, Boolean> scriptFailed = new LinkedHashMap<>();
        for (RouterHost h : started) {
            for (var t : h.instance().source().trackScripts()) {
                scriptFailed.computeIfAbsent(t.name(), this::scriptFailedNow);
            }
        }
        onLoop(() -> {
            for (RouterHost h : started) {
                sockets.get(h.instance().socket()).demux().add(h.router());
                hosts.add(h);
                byRouter.put(h.router(), h);
                groups.add(h);
                if (!usable.get(h.instance().interfaceName())) {
                    h.handle(new RouterInput.InterfaceChanged(false)); // so Start enters FAULT
                }
                for (var t : h.instance().source().trackInterfaces()) {
                    h.handle(new RouterInput.TrackerChanged(ConfiguredInstance.interfaceTracker(t.name()),
                            ConfiguredInstance.routerOk(usable.get(t.name()), t.reverse())));
                }
                for (var t : h.instance().source().trackScripts()) {
                    if (scriptFailed.get(t.name())) {
                        h.handle(new RouterInput.TrackerChanged(t.name(), ConfiguredInstance.routerOk(false, t.reverse())));
                    }
                }
                for (var t : h.instance().source().trackFiles()) {
                    h.handle(fileInput(t));
                }
            }
            // every fault known before any Start: a sync group with a faulty member starts in FAULT
            for (RouterHost h : started) {
                List<String> pending = pendingUnweightedScripts(h);
                if (pending.isEmpty()) {
                    h.handle(new RouterInput.Start());
                } else {
                    // keepalived's num_script_init: no Start (so no master-down timer, no takeover) before the
                    // first verdict of every weight-0 script; a pg_check must not let a standby grab the write VIP
                    LOG.info("({}) stays in INIT until the first result of {}", h.instance().name(), pending);
                    heldInInit.add(h);
                }
            }
        }, "routers did not start");
    }

    /** The weight-0 scripts {@code h} tracks that have no verdict yet. On the loop. */
    private List<String> pendingUnweightedScripts(RouterHost h) {
        return h.instance().source().trackScripts().stream()
                .filter(t -> t.weight() == 0 && scriptPendingNow(t.name()))
                .map(t -> t.name()).toList();
    }

    private boolean scriptPendingNow(String script) {
        for (TrackedChecks c : checkSets) {
            Optional<Boolean> p = c.pendingNow(script);
            if (p.isPresent()) {
                return p.get();
            }
        }
        return false;
    }

    /** Starts the routers held in INIT whose weight-0 scripts all have a verdict now. On the loop. */
    private void startHeldRouters() {
        for (java.util.Iterator<RouterHost> it = heldInInit.iterator(); it.hasNext(); ) {
            RouterHost h = it.next();
            if (!hosts.contains(h)) {
                it.remove(); // retired by a reload while it waited
            } else if (pendingUnweightedScripts(h).isEmpty()) {
                it.remove();
                LOG.info("({}) leaves INIT: its scripts have their first results", h.instance().name());
                h.handle(new RouterInput.Start());
            }
        }
    }

    /** Whether a router starting now must hear that {@code script} failed (see {@link TrackedChecks#failedNow}). */
    private boolean scriptFailedNow(String script) {
        for (TrackedChecks c : checkSets) {
            Optional<Boolean> f = c.failedNow(script);
            if (f.isPresent()) {
                return f.get();
            }
        }
        return false;
    }

    /** Runs {@code work} on the loop and waits for it (at most 10 s). Not to be called on the loop. */
    private void onLoop(Runnable work, String what) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        loop.runOnContext(v -> {
            try {
                work.run();
                done.complete(null);
            } catch (RuntimeException ex) {
                done.completeExceptionally(ex);
            }
        });
        try {
            done.get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(what + ": " + e.getCause(), e);
        } catch (Exception e) {
            throw new IllegalStateException(what + ": " + e, e);
        }
    }

    /** (Re)subscribes to link changes when the routers use an interface the monitor does not watch yet. */
    private void watchInterfaces() throws LinuxCallFailed {
        CompletableFuture<Set<String>> wanted = new CompletableFuture<>();
        loop.runOnContext(v -> wanted.complete(interfacesOf(hosts)));
        Set<String> names;
        try {
            names = wanted.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("interfaces: " + e, e);
        }
        if (names.isEmpty() || watchedInterfaces.containsAll(names)) {
            return;
        }
        LinkMonitor previous = links;
        // the new monitor reports every link's state first: routers ignore a state they already have
        links = LinkMonitor.open(names, e -> loop.runOnContext(v -> linkChanged(e)));
        watchedInterfaces = Set.copyOf(names);
        if (previous != null) {
            previous.close();
        }
    }

    private Optional<InetAddress> primaryAddress(String device, IpFamily family) {
        try {
            return rtnetlink.primaryAddress(device, family);
        } catch (LinuxCallFailed e) {
            throw new IllegalArgumentException("interface " + device + ": " + e.getMessage(), e);
        }
    }

    /**
     * On the event loop: one datagram, read there or handed over by a reader thread. Master_Down counts from the
     * packet's arrival (read right after recvmsg). Never throws: bad input is counted and logged.
     */
    private void receive(AdvertDemux demux, ReceivedPacket p) {
        if (stopping) {
            return;
        }
        try {
            byte[] d = p.datagram();
            long now = p.arrivalNanos();
            AdvertDemux.Delivery delivery = p.source() instanceof java.net.Inet4Address
                    ? demux.receiveIpv4(d, 0, d.length, now)
                    : demux.receiveIpv6(d, 0, d.length, IpAddress.of(p.source()), IpAddress.of(p.destination()),
                    p.ttl(), now);
            deliver(delivery);
        } catch (RuntimeException e) {
            LOG.warn("advert from {} dropped: {}", p.source(), e.toString());
        }
    }

    private Runnable drainIpv4(VrrpSocket socket, AdvertDemux demux) {
        VrrpSocket.DatagramSink sink = (d, length, arrival) -> {
            if (!stopping) {
                try {
                    deliver(demux.receiveIpv4(d, 0, length, arrival));
                } catch (RuntimeException e) {
                    LOG.warn("advert dropped: {}", e.toString());
                }
            }
        };
        return () -> socket.drainIpv4(LoopReceiver.BATCH, sink);
    }

    private void deliver(AdvertDemux.Delivery delivery) {
        if (delivery instanceof AdvertDemux.Delivery.Routed r) {
            RouterHost h = byRouter.get(r.router());
            h.execute(r.actions(), RouterHost.Trigger.ADVERT);
        } else if (delivery instanceof AdvertDemux.Delivery.Refused f && LOG.isDebugEnabled()) {
            LOG.debug("advert refused: {} {}", f.reason(), f.detail());
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
        var effect = dev.vigil.agent.check.TrackFileValue.Effect.NONE;
        for (TrackedChecks c : checkSets) {
            if (c.runs(ConfigReload.checkName(true, t.name()))) {
                effect = c.fileEffect(t);
            }
        }
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
                if (t.name().equals(c.script()) && c.lagPenalty().isPresent()) {
                    // prefer_least_lag: the contribution follows the lag, so the router is given the whole effect
                    var effect = dev.vigil.agent.check.LagPreference.effect(
                            new dev.vigil.agent.check.TrackerWeight(t.weight(), t.reverse()),
                            c.ok() ? dev.vigil.agent.check.TrackerStatus.OK : dev.vigil.agent.check.TrackerStatus.FAILED,
                            c.lagPenalty().get());
                    h.handle(new RouterInput.TrackerContributionChanged(t.name(), effect.fault(), effect.delta()));
                } else if (t.name().equals(c.script())) {
                    h.handle(new RouterInput.TrackerChanged(t.name(), ConfiguredInstance.routerOk(c.ok(), t.reverse())));
                }
            }
        }
        if (!heldInInit.isEmpty()) {
            startHeldRouters();
        }
    }

    /**
     * Applies a reload that {@link ConfigReload#plan} worked out from the running configuration and {@code next}:
     * kept instances are not touched (same router, state, VIPs and timers); removed and restarted ones stop as at
     * shutdown (a master sends priority 0 and removes its VIPs; {@code notify_stop} runs); restarted and added ones
     * start as at boot. Checks no longer needed stop, new and changed ones start. Blocking: call it off the loop,
     * one reload at a time.
     *
     * @throws IllegalArgumentException an instance to start cannot run on this host (no such interface, no
     *                                  source address): refused before anything changed
     * @throws LinuxCallFailed          a new socket could not open: the stopped instances stay stopped
     */
    public void reload(AgentConfig next, ConfigReload plan) throws LinuxCallFailed {
        if (stopping) {
            throw new IllegalStateException("the agent is stopping");
        }
        List<ConfiguredInstance> starting = new ArrayList<>();
        for (String name : plan.starting(next)) {
            starting.add(ConfiguredInstance.resolve(next.instance(name).orElseThrow(), next.global(),
                    this::primaryAddress, SyncGroups.groupOf(next, name)));
        }
        Set<String> leaving = Set.copyOf(plan.stopping());
        onLoop(() -> {
            for (java.util.Iterator<RouterHost> it = hosts.iterator(); it.hasNext(); ) {
                RouterHost h = it.next();
                if (leaving.contains(h.instance().name())) {
                    h.handle(new RouterInput.ShutdownRequested());
                    h.retire();
                    sockets.get(h.instance().socket()).demux().remove(h.router());
                    byRouter.remove(h.router());
                    groups.remove(h);
                    it.remove();
                }
            }
            groups.reconfigure(next); // ConfigReload restarted every member of a group defined anew
        }, "instances did not stop");
        checkSets.removeIf(c -> {
            boolean empty = c.retire(plan.retiredChecks());
            if (empty) {
                c.close();
            }
            return empty;
        });
        notify.update(next); // after the stops: a removed instance's notify_stop is the old one
        config = next;
        TrackedChecks fresh = plan.newChecks().isEmpty() ? null : prepareChecks(next, plan.newChecks()::contains);
        List<RouterHost> started = createHosts(starting);
        if (fresh != null) {
            fresh.startFiles();
        }
        startRouters(started);
        watchInterfaces();
        if (fresh != null) {
            fresh.start();
        }
        closeIdleSockets();
        reloadBalancer(next);
    }

    /** Closes the raw sockets no router uses any more (their instances were removed or moved). */
    private void closeIdleSockets() {
        CompletableFuture<List<VrrpSocketSpec>> idle = new CompletableFuture<>();
        loop.runOnContext(v -> idle.complete(sockets.entrySet().stream()
                .filter(e -> e.getValue().demux().isEmpty()).map(Map.Entry::getKey).toList()));
        try {
            for (VrrpSocketSpec spec : idle.get(10, TimeUnit.SECONDS)) {
                SharedSocket s = sockets.remove(spec);
                s.close();
                LOG.info("VRRP socket {} {} closed: no instance uses it", spec.interfaceName(), spec.family());
            }
        } catch (Exception e) {
            LOG.warn("idle sockets not closed: {}", e.toString());
        }
    }

    /** The configuration running now (the last one loaded or reloaded). */
    public AgentConfig config() {
        return config;
    }

    /** Every instance as it stands, read on the loop. */
    public CompletableFuture<List<InstanceStatus>> instances() {
        CompletableFuture<List<InstanceStatus>> out = new CompletableFuture<>();
        loop.runOnContext(v -> {
            try {
                out.complete(hosts.stream().map(AgentDaemon::statusOf).toList());
            } catch (RuntimeException e) {
                out.completeExceptionally(e);
            }
        });
        return out;
    }

    /** Every running script and file check with its status word. */
    public Map<String, String> checks() {
        Map<String, String> out = new java.util.TreeMap<>();
        checkSets.forEach(c -> out.putAll(c.statuses()));
        return out;
    }

    private static InstanceStatus statusOf(RouterHost h) {
        VrrpRouter r = h.router();
        var c = r.config();
        var view = r.view();
        var counters = r.counters();
        String state = switch (view.state()) {
            case INITIALIZE -> "INIT";
            case BACKUP -> "BACKUP";
            case MASTER -> "MASTER";
            case FAULT -> "FAULT";
        };
        String master = view.state() == dev.vigil.agent.vrrp.RouterState.MASTER ? c.primaryAddress().toString()
                : view.master().map(Object::toString).orElse("");
        Map<String, Long> drops = new java.util.TreeMap<>();
        counters.drops().forEach((reason, n) -> {
            if (n > 0) {
                drops.put(reason.name(), n);
            }
        });
        return new InstanceStatus(c.name(), state, h.instance().interfaceName(), c.vrid(),
                c.family() == dev.vigil.agent.vrrp.IpFamily.IPV4 ? "IPv4" : "IPv6",
                c.version() == dev.vigil.agent.vrrp.VrrpVersion.V2 ? 2 : 3, c.priority(), view.effectivePriority(),
                c.advertIntervalCentis(), master, view.state() == dev.vigil.agent.vrrp.RouterState.MASTER
                ? view.effectivePriority() : view.masterPriority(),
                h.instance().vips().values().stream().map(Object::toString).toList(), c.unicast(),
                counters.advertsReceived(), counters.advertsSent(), counters.becameMaster(), counters.releasedMaster(),
                counters.priorityZeroReceived(), counters.priorityZeroSent(), drops);
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

    /** Virtual servers on a VIP listen only while the kernel has it: after it is added, until it is removed. */
    /** The TCP proxy's figures for metrics, when the configuration has virtual servers. */
    public Optional<CompletableFuture<dev.vigil.agent.balance.BalancerFigures>> balancerFigures() {
        Balancer b = balancer;
        return b == null ? Optional.empty() : Optional.of(b.figures());
    }

    private void balancerSees(AgentFact fact) {
        // Under the lock: a balancer started by a reload learns the VIPs held then, and every later change after it.
        synchronized (heldVips) {
            if (fact instanceof AgentFact.VipsAdded a) {
                List<String> added = a.addresses().stream().map(AgentDaemon::canonical).toList();
                heldVips.addAll(added);
                if (balancer != null) {
                    balancer.vipsAdded(added);
                }
            } else if (fact instanceof AgentFact.VipsRemoved r) {
                List<String> removed = r.addresses().stream().map(AgentDaemon::canonical).toList();
                heldVips.removeAll(removed);
                if (balancer != null) {
                    balancer.vipsRemoved(removed);
                }
            }
        }
    }

    /**
     * A reload's virtual servers: the running balancer keeps what did not change and retires or starts the rest; the
     * first virtual server starts a balancer (listening on the VIPs held now), the last one removed closes it.
     */
    private void reloadBalancer(AgentConfig next) {
        Set<String> vipTexts = vipTexts(next);
        Balancer running = balancer;
        if (running == null && next.virtualServers().isEmpty()) {
            return;
        }
        if (running == null) {
            Balancer fresh = Balancer.start(next.virtualServers(), next.global(), vipTexts, BalancerSettings.DEFAULTS, facts);
            synchronized (heldVips) {
                balancer = fresh;
                fresh.vipsAdded(List.copyOf(heldVips)); // posted under the lock: before any later removal
            }
            LOG.info("reload: {} virtual server(s) started", next.virtualServers().size());
        } else if (next.virtualServers().isEmpty()) {
            synchronized (heldVips) {
                balancer = null;
            }
            running.close();
            LOG.info("reload: every virtual server removed; the proxy stopped");
        } else {
            try {
                var change = running.reconfigure(next.virtualServers(), vipTexts).get(30, TimeUnit.SECONDS);
                if (!change.isEmpty()) {
                    LOG.info("reload: virtual servers kept {}, retired {}, started {}", change.kept().size(),
                            change.retiring().size(), change.starting().size());
                }
            } catch (Exception e) {
                LOG.error("reload: virtual servers not fully applied: {}", e.toString());
            }
        }
    }

    private static Set<String> vipTexts(AgentConfig c) {
        return c.instances().stream()
                .flatMap(i -> i.virtualAddresses().stream())
                .map(v -> IpText.of(v.address())).collect(Collectors.toSet());
    }

    private static String canonical(String literal) {
        try {
            return IpText.of(java.net.InetAddress.getByName(literal));   // a literal: no lookup
        } catch (java.net.UnknownHostException e) {
            return literal;
        }
    }

    private void closeResources() {
        stopping = true;
        if (balancer != null) {
            balancer.close();
        }
        checkSets.forEach(TrackedChecks::close);
        if (links != null) {
            links.close();
        }
        if (notify != null) {
            notify.close(java.time.Duration.ofMillis(100));
        }
        if (launcher != null) {
            launcher.close(); // SIGTERM to scripts still running
        }
        sockets.values().forEach(SharedSocket::close);
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
