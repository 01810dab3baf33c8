package dev.vigil.agent.balance;

import dev.vigil.agent.check.ScriptLauncher;
import dev.vigil.agent.config.IpText;
import dev.vigil.agent.config.RealServerCheck;
import dev.vigil.agent.config.ScriptCommand;
import dev.vigil.agent.config.ServiceAddress;
import dev.vigil.agent.config.VirtualServer;
import dev.vigil.model.AgentFact;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * One virtual server on the balancer's event loop: its listeners, its {@link Pool}, one {@link CheckLoop} per
 * checker, and the connections it forwards ({@link Splice}). Everything but the counters is touched on that loop only.
 */
final class VirtualServerProxy {
    private static final Logger LOG = LoggerFactory.getLogger("dev.vigil.agent.balance");

    /** Counters of one destination (a real server, or the sorry server at index {@code size}). */
    private static final class Counters {
        final LongAdder connections = new LongAdder();
        final LongAdder open = new LongAdder();
        final LongAdder toServer = new LongAdder();
        final LongAdder toClient = new LongAdder();
        final LongAdder errors = new LongAdder();
        final LongAdder cut = new LongAdder();
        long reportedConnections;
        long reportedErrors;
    }

    private final Vertx vertx;
    private final Context loop;
    private final VirtualServer vs;
    private final Pool pool;
    private final BalancerSettings settings;
    private final AtomicLong buffered;
    private final AtomicLong peakBuffered;
    private final Consumer<AgentFact> facts;
    private final NetClient client;
    private final List<Counters> counters = new ArrayList<>();
    private final List<Set<Splice>> open = new ArrayList<>();
    private final List<CheckLoop> checks = new ArrayList<>();
    private final Map<ServiceAddress, ServiceListener> listening = new HashMap<>();
    /** Listeners still closing, by address: a bind must wait for them (see {@link ServiceListener}). */
    private final Map<ServiceAddress, Future<Void>> closing = new HashMap<>();
    private final LongAdder refused = new LongAdder();
    private final ScriptLauncher scripts;
    private static final java.time.Duration QUORUM_SCRIPT_TIMEOUT = java.time.Duration.ofSeconds(30);

    VirtualServerProxy(Vertx vertx, Context loop, VirtualServer vs, BalancerSettings settings, AtomicLong buffered,
                       AtomicLong peakBuffered, Consumer<AgentFact> facts, ScriptLauncher scripts) {
        this.vertx = vertx;
        this.loop = loop;
        this.vs = vs;
        this.pool = new Pool(vs);
        this.settings = settings;
        this.buffered = buffered;
        this.peakBuffered = peakBuffered;
        this.facts = facts;
        this.scripts = scripts;
        this.client = vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true)
                .setConnectTimeout((int) settings.connectTimeout().toMillis()));
        for (int i = 0; i <= pool.size(); i++) {
            counters.add(new Counters());
            open.add(new LinkedHashSet<>());
        }
        for (int m = 0; m < pool.size(); m++) {
            int member = m;
            List<RealServerCheck> list = vs.realServers().get(m).checks();
            for (int c = 0; c < list.size(); c++) {
                int check = c;
                RealServerCheck rc = list.get(c);
                ServerProbe probe = ServerProbe.of(rc, vs.name() + "-" + pool.name(m), vertx, scripts);
                checks.add(new CheckLoop(vertx, loop, probe, rc.timing(), () -> pool.isUp(member),
                        (outcome, took) -> checked(member, check, outcome, took)));
            }
        }
    }

    VirtualServer virtualServer() {
        return vs;
    }

    void startChecks() {
        checks.forEach(CheckLoop::start);
    }

    private void checked(int member, int check, ServerProbe.Outcome o, long tookNanos) {
        for (PoolEvent e : pool.checkResult(member, check, o.passed(), o.detail(), o.weight())) {
            if (e instanceof PoolEvent.ServerUp u) {
                LOG.info("[{}] real server {} up: {}", vs.name(), u.server(), u.detail());
                facts.accept(new AgentFact.TrackerResultChanged(tracker(member), "real_server", true, u.detail(), tookNanos));
            } else if (e instanceof PoolEvent.ServerDown d) {
                int n = open.get(member).size();
                LOG.warn("[{}] real server {} down: {}; {} open connection(s) {}", vs.name(), d.server(), d.detail(), n,
                        d.cutConnections() ? "closed" : "kept (inhibit_on_failure)");
                facts.accept(new AgentFact.TrackerResultChanged(tracker(member), "real_server", false, d.detail(), tookNanos));
                if (d.cutConnections()) {
                    for (Splice s : List.copyOf(open.get(member))) {
                        counters.get(member).cut.increment();
                        s.cut();
                    }
                }
            } else if (e instanceof PoolEvent.QuorumLost q) {
                LOG.warn("[{}] quorum lost: healthy weight {} < {}; new connections go to {}", vs.name(), q.weight(),
                        q.quorum(), vs.sorryServer().map(ServiceAddress::describe).orElse("nobody (refused)"));
                vs.quorumDown().ifPresent(c -> runQuorumScript("quorum_down", c));
            } else if (e instanceof PoolEvent.QuorumGained q) {
                LOG.info("[{}] quorum reached: healthy weight {} >= {}", vs.name(), q.weight(), q.quorum());
                vs.quorumUp().ifPresent(c -> runQuorumScript("quorum_up", c));
            }
        }
    }

    /** keepalived runs quorum_up / quorum_down when the quorum changes; no shell, as every Vigil script. */
    private void runQuorumScript(String what, ScriptCommand command) {
        ScriptLauncher.Prepared p = scripts.prepare(command.command(), command.user());
        if (p instanceof ScriptLauncher.Refused r) {
            LOG.error("[{}] {} '{}' refused: {}", vs.name(), what, command.command(), r.reason());
            return;
        }
        scripts.run((ScriptLauncher.Ready) p, List.of(), QUORUM_SCRIPT_TIMEOUT).whenComplete((o, t) -> {
            if (t != null || !o.succeeded()) {
                LOG.warn("[{}] {} '{}' failed: {}", vs.name(), what, command.command(), t != null ? t.toString() : o.detail());
            } else {
                LOG.info("[{}] {} '{}' ran: {}", vs.name(), what, command.command(), o.detail());
            }
        });
    }

    private String tracker(int member) {
        return "virtual_server " + vs.name() + " real_server " + pool.name(member);
    }

    /** Accepts on {@code a}; the address must be on this host (a VIP once added). */
    Future<Void> listen(ServiceAddress a) {
        // a VIP that left and came back at once: its old listener may still be closing, and Vert.x would let a new
        // bind join that dying socket
        Future<Void> stillClosing = closing.get(a);
        if (stillClosing == null) {
            return bind(a);
        }
        io.vertx.core.Promise<Void> bound = io.vertx.core.Promise.promise();
        stillClosing.onComplete(closed -> loop.runOnContext(v -> bind(a).onComplete(bound)));
        return bound.future();
    }

    private Future<Void> bind(ServiceAddress a) {
        if (listening.containsKey(a)) {
            return Future.succeededFuture();
        }
        NetServer server = vertx.createNetServer(new NetServerOptions().setTcpNoDelay(true).setReuseAddress(true));
        listening.put(a, new ServiceListener(server, this::accepted));
        return server.listen(a.port(), IpText.of(a.ip())).<Void>map(s -> {
            LOG.info("[{}] listening on {}", vs.name(), a);
            return null;
        }).onFailure(t -> {
            listening.remove(a);
            LOG.error("[{}] cannot listen on {}: {}", vs.name(), a, t.getMessage());
        });
    }

    /** Stops accepting on {@code a} and closes the connections accepted there (the VIP left this node). */
    Future<Void> unlisten(ServiceAddress a) {
        ServiceListener l = listening.remove(a);
        if (l == null) {
            return Future.succeededFuture();
        }
        LOG.info("[{}] no longer listening on {}", vs.name(), a);
        Future<Void> closed = l.server.close();
        closing.put(a, closed);
        closed.onComplete(done -> loop.runOnContext(v -> closing.remove(a, closed)));
        return closed;
    }

    /** Takes over a retired virtual server's listener on {@code a}: new connections there come here now. */
    void adopt(ServiceAddress a, ServiceListener l) {
        l.serve(this::accepted);
        listening.put(a, l);
        LOG.info("[{}] listening on {} (taken over from the retired definition)", vs.name(), a);
    }

    boolean isListening(ServiceAddress a) {
        return listening.containsKey(a);
    }

    private void accepted(NetSocket socket) {
        socket.pause();
        InetAddress from;
        try {
            from = InetAddress.getByName(socket.remoteAddress().hostAddress());
        } catch (UnknownHostException e) {
            socket.close();
            return;
        }
        // a client that leaves while its server connection is being set up must not leave that one open
        boolean[] gone = {false};
        socket.closeHandler(v -> gone[0] = true);
        forward(socket, from, new HashSet<>(), gone);
    }

    private void forward(NetSocket socket, InetAddress from, Set<Integer> tried, boolean[] gone) {
        Choice c = pool.choose(from, System.nanoTime(), tried);
        if (c instanceof Choice.Refuse r) {
            refused.increment();
            LOG.debug("[{}] refused {}: {}", vs.name(), from, r.why());
            socket.close();
            return;
        }
        int member = c instanceof Choice.ToReal t ? t.member() : pool.size();
        ServiceAddress target = c instanceof Choice.ToReal t ? t.address() : ((Choice.ToSorry) c).address();
        Counters k = counters.get(member);
        client.connect(target.port(), IpText.of(target.ip())).onComplete(ar -> {
            if (ar.failed()) {
                k.errors.increment();
                LOG.debug("[{}] connect to {} failed: {}", vs.name(), target, ar.cause().getMessage());
                if (member < pool.size() && !gone[0]) {
                    tried.add(member);
                    forward(socket, from, tried, gone);
                } else {
                    socket.close();
                }
                return;
            }
            NetSocket server = ar.result();
            if (gone[0]) {
                server.close();
                return;
            }
            server.pause();
            k.connections.increment();
            k.open.increment();
            if (member < pool.size()) {
                pool.opened(member, from);
            }
            Splice[] self = new Splice[1];
            self[0] = new Splice(socket, server, settings.bufferBytes(), buffered, peakBuffered, k.toServer::add, k.toClient::add, () -> {
                k.open.decrement();
                open.get(member).remove(self[0]);
                if (member < pool.size()) {
                    pool.closed(member, from, System.nanoTime());
                }
            });
            open.get(member).add(self[0]);
            self[0].start();
        });
    }

    /** The counters, readable from any thread (up/weight may lag by a moment). */
    List<ServerStats> stats() {
        List<ServerStats> out = new ArrayList<>();
        for (int i = 0; i <= pool.size(); i++) {
            Counters k = counters.get(i);
            if (i == pool.size() && vs.sorryServer().isEmpty()) {
                continue;
            }
            String name = i < pool.size() ? pool.name(i) : "sorry " + vs.sorryServer().get().describe();
            boolean up = i < pool.size() ? pool.isUp(i) : !pool.hasQuorum();
            int weight = i < pool.size() ? pool.weight(i) : 0;
            out.add(new ServerStats(vs.name(), name, up, weight, k.connections.sum(), k.open.sum(), k.toServer.sum(),
                    k.toClient.sum(), k.errors.sum(), k.cut.sum()));
        }
        return out;
    }

    long refused() {
        return refused.sum();
    }

    /** One log line per destination whose counts moved since the last report (the "occasional event"). */
    void report() {
        pool.expire(System.nanoTime());
        for (int i = 0; i <= pool.size(); i++) {
            Counters k = counters.get(i);
            long c = k.connections.sum();
            long e = k.errors.sum();
            if (c == k.reportedConnections && e == k.reportedErrors) {
                continue;
            }
            String name = i < pool.size() ? pool.name(i) : "sorry server";
            LOG.info("[{}] {}: {} connections (+{}), {} open, {} B to server, {} B to clients, {} errors (+{})",
                    vs.name(), name, c, c - k.reportedConnections, k.open.sum(), k.toServer.sum(), k.toClient.sum(), e,
                    e - k.reportedErrors);
            k.reportedConnections = c;
            k.reportedErrors = e;
        }
    }

    /**
     * Stops checking and gives up its listeners (a reload retired it); the connections already forwarded go on
     * until they end. The caller hands each listener to a successor on the same address or {@link #stopAccepting}s it.
     */
    Map<ServiceAddress, ServiceListener> retire() {
        checks.forEach(CheckLoop::stop);
        Map<ServiceAddress, ServiceListener> given = new HashMap<>(listening);
        listening.clear();
        return given;
    }

    /**
     * Closes a retired listener and leaves the connections it accepted to the grace period. A plain close of a Vert.x
     * server closes the connections it accepted; a shutdown closes its listener at once and leaves them, so the grace
     * is long: clients' pools often hold a connection for hours.
     */
    static void stopAccepting(String name, ServiceAddress a, ServiceListener l) {
        LOG.info("[{}] no longer listening on {} (retired; forwarded connections stay)", name, a);
        l.server.shutdown(RETIRED_CONNECTIONS_GRACE.toDays(), java.util.concurrent.TimeUnit.DAYS);
    }

    /** How long a retired virtual server's forwarded connections may go on before they are closed. */
    static final java.time.Duration RETIRED_CONNECTIONS_GRACE = java.time.Duration.ofDays(30);

    /** Connections forwarded now (to real servers and the sorry server). */
    int openConnections() {
        return open.stream().mapToInt(Set::size).sum();
    }

    Future<Void> close() {
        checks.forEach(CheckLoop::stop);
        List<Future<Void>> all = new ArrayList<>();
        for (ServiceAddress a : List.copyOf(listening.keySet())) {
            all.add(unlisten(a));
        }
        open.forEach(set -> List.copyOf(set).forEach(Splice::cut));
        all.add(client.close());
        return Future.join(all).mapEmpty();
    }

    Optional<Integer> memberOf(ServiceAddress server) {
        for (int i = 0; i < pool.size(); i++) {
            if (vs.realServers().get(i).address().equals(server)) {
                return Optional.of(i);
            }
        }
        return Optional.empty();
    }
}
