package dev.vigil.agent.vrrp;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;

/**
 * Deterministic simulation of VRRP routers on one Ethernet segment: a virtual clock, an event queue
 * and a network driven by one seeded {@link Random} that loses, delays (and so reorders), duplicates,
 * corrupts and partitions packets and injects invalid ones. What crosses the wire is bytes: each
 * advert is encoded by {@link AdvertCodec} (a whole IPv4 datagram, or an IPv6 payload with the
 * addresses and hop limit recvmsg would give) and decoded again at every receiver.
 *
 * <p>Every injected corrupted or invalid packet is checked: the receiving router's {@link RouterView}
 * must be the same before and after; a difference is recorded as a violation.
 */
final class SimulatedSegment {

    /** Network behaviour; probabilities per delivered copy, delays in nanoseconds. */
    record Conditions(double loss, double duplicate, double corrupt, double invalid, long minDelay, long maxDelay) {
        static final Conditions PERFECT = new Conditions(0, 0, 0, 0, 0, 0);

        static Conditions quiet(long maxDelay) {
            return new Conditions(0, 0, 0, 0, 0, maxDelay);
        }
    }

    record TransitionRecord(long at, int node, RouterAction.Transition transition) {
    }

    record GroupRecord(long at, String group, GroupSync.Step step) {
    }

    private interface Event {
        void fire();
    }

    private record Scheduled(long at, long seq, Event event) {
    }

    final class Node {
        final int index;
        final VrrpRouter router;
        final long[] timerGeneration = new long[TimerKind.values().length];
        final AdvertDemux demux;
        boolean alive = true;
        int ipId;
        long lastAdvertSentAt = Long.MIN_VALUE;

        Node(int index, RouterConfig config) {
            this.index = index;
            this.router = new VrrpRouter(config);
            this.demux = new AdvertDemux(config.family());
            demux.add(router);
        }

        boolean eligible() {
            return alive && router.state() != RouterState.FAULT && router.state() != RouterState.INITIALIZE;
        }
    }

    private final Random random;
    private final PriorityQueue<Scheduled> queue = new PriorityQueue<>(
            (a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
    private final List<Node> nodes = new ArrayList<>();
    private final List<TransitionRecord> transitions = new ArrayList<>();
    private final List<String> violations = new ArrayList<>();
    private long now;
    private long seq;
    private Conditions conditions = Conditions.PERFECT;
    private int[] partition = new int[0];
    /** Sync groups as the daemon runs them: one {@link GroupSync} per group, fed from its members' actions. */
    private final Map<Integer, GroupSync> groupOf = new HashMap<>();
    private final Map<String, Integer> nodeByName = new HashMap<>();
    private final List<GroupRecord> groupSteps = new ArrayList<>();
    private final ArrayDeque<Runnable> groupWork = new ArrayDeque<>();
    private boolean settling;
    long packetsDelivered;
    long injectedCorrupt;
    long injectedInvalid;
    /** Injected packets that reached a router able to act on them (BACKUP or MASTER): the non-vacuous count. */
    long injectedReachingListeningRouter;

    SimulatedSegment(long seed) {
        this.random = new Random(seed);
    }

    int add(RouterConfig config) {
        Node n = new Node(nodes.size(), config);
        nodes.add(n);
        nodeByName.put(config.name(), n.index);
        partition = Arrays.copyOf(partition, nodes.size());
        return n.index;
    }

    Node node(int i) {
        return nodes.get(i);
    }

    List<Node> nodes() {
        return nodes;
    }

    VrrpRouter router(int i) {
        return nodes.get(i).router;
    }

    long now() {
        return now;
    }

    Random random() {
        return random;
    }

    void conditions(Conditions c) {
        this.conditions = c;
    }

    /** Nodes in different groups cannot hear each other; all zero = healed. */
    void partition(int... groups) {
        this.partition = groups.clone();
    }

    void heal() {
        this.partition = new int[nodes.size()];
    }

    void start(int i) {
        input(nodes.get(i), new RouterInput.Start());
    }

    void startAll() {
        for (Node n : nodes) {
            input(n, new RouterInput.Start());
        }
    }

    /** Host death: no more packets or timers, as when the link is cut and the process killed. */
    /** The nodes (router names unique on the segment) form one sync group, on one host. */
    GroupSync syncGroup(String name, int... members) {
        List<String> names = new ArrayList<>();
        for (int m : members) {
            names.add(nodes.get(m).router.config().name());
        }
        GroupSync g = new GroupSync(name, names);
        for (int m : members) {
            groupOf.put(m, g);
        }
        return g;
    }

    List<GroupRecord> groupSteps() {
        return groupSteps;
    }

    void interfaceChanged(int i, boolean up) {
        input(nodes.get(i), new RouterInput.InterfaceChanged(up));
    }

    void crash(int i) {
        nodes.get(i).alive = false;
    }

    void shutdown(int i) {
        input(nodes.get(i), new RouterInput.ShutdownRequested());
    }

    void tracker(int i, String name, boolean ok) {
        input(nodes.get(i), new RouterInput.TrackerChanged(name, ok));
    }

    void runFor(long nanos) {
        runUntil(now + nanos);
    }

    void runUntil(long until) {
        while (!queue.isEmpty() && queue.peek().at <= until) {
            Scheduled s = queue.poll();
            now = s.at;
            s.event.fire();
        }
        now = until;
    }

    /** Alive MASTERs of a VRID. */
    List<Node> masters(int vrid) {
        List<Node> m = new ArrayList<>();
        for (Node n : nodes) {
            if (n.alive && n.router.config().vrid() == vrid && n.router.state() == RouterState.MASTER) {
                m.add(n);
            }
        }
        return m;
    }

    List<TransitionRecord> transitions() {
        return transitions;
    }

    List<String> violations() {
        return violations;
    }

    // ---------------------------------------------------------------- the shell's part

    private void input(Node n, RouterInput in) {
        if (!n.alive) {
            return;
        }
        execute(n, n.router.handle(in, now));
    }

    private void execute(Node n, List<RouterAction> actions) {
        for (RouterAction a : actions) {
            if (a instanceof RouterAction.SendAdvert s) {
                if (s.advert().priority() > 0) {
                    n.lastAdvertSentAt = now;
                }
                transmit(n, s.advert());
            } else if (a instanceof RouterAction.ArmTimer t) {
                long gen = ++n.timerGeneration[t.kind().ordinal()];
                schedule(Math.max(now, t.deadlineNanos()), () -> {
                    if (n.alive && n.timerGeneration[t.kind().ordinal()] == gen) {
                        input(n, new RouterInput.TimerFired(t.kind()));
                    }
                });
            } else if (a instanceof RouterAction.CancelTimer c) {
                n.timerGeneration[c.kind().ordinal()]++;
            } else if (a instanceof RouterAction.Transition t) {
                transitions.add(new TransitionRecord(now, n.index, t));
            }
            // VIP add/remove/announce have no effect on the protocol; the shell's tests cover them
        }
        GroupSync g = groupOf.get(n.index);
        if (g != null) {
            for (GroupSync.Step step : g.observe(n.router.config().name(), actions)) {
                groupSteps.add(new GroupRecord(now, g.name(), step));
                if (step instanceof GroupSync.Step.Feed f) {
                    groupWork.add(() -> input(nodes.get(nodeByName.get(f.member())), f.input()));
                }
            }
            if (!settling) { // as the daemon does: one member at a time, in order, never re-entering a router
                settling = true;
                try {
                    while (!groupWork.isEmpty()) {
                        groupWork.poll().run();
                    }
                } finally {
                    settling = false;
                }
            }
        }
    }

    private void transmit(Node from, Advert advert) {
        RouterConfig c = from.router.config();
        for (IpAddress destination : c.advertDestinations()) {
            byte[] wire = encode(from, advert, destination, 255);
            for (Node to : nodes) {
                if (to == from || (!destination.isMulticast() && !destination.equals(to.router.config().primaryAddress()))) {
                    continue;
                }
                deliverWithFaults(from, to, wire, advert, destination);
            }
        }
    }

    private byte[] encode(Node from, Advert advert, IpAddress destination, int ttl) {
        RouterConfig c = from.router.config();
        return c.family() == IpFamily.IPV4
                ? AdvertCodec.encodeIpv4Packet(advert, c.primaryAddress(), destination, ttl, from.ipId++ & 0xFFFF,
                c.v3Ipv4Checksum())
                : AdvertCodec.encode(advert, c.primaryAddress(), destination, c.v3Ipv4Checksum());
    }

    private void deliverWithFaults(Node from, Node to, byte[] wire, Advert advert, IpAddress destination) {
        if (!from.alive || partition[from.index] != partition[to.index]) {
            return;
        }
        Conditions k = conditions;
        if (random.nextDouble() < k.loss()) {
            return;
        }
        int copies = random.nextDouble() < k.duplicate() ? 2 : 1;
        for (int i = 0; i < copies; i++) {
            byte[] bytes = wire;
            boolean injected = false;
            if (random.nextDouble() < k.corrupt()) {
                // one flipped bit: the Internet checksum detects every single-bit error (RFC 1071)
                bytes = wire.clone();
                int bit = random.nextInt(bytes.length * 8);
                bytes[bit / 8] ^= (byte) (1 << (bit % 8));
                injectedCorrupt++;
                injected = true;
            }
            schedule(now + delay(k), deliver(from, to, bytes, destination, 255, injected));
        }
        if (random.nextDouble() < k.invalid()) {
            injectInvalid(from, to, advert, destination, k);
        }
    }

    /** A well-formed, correctly checksummed packet that the receiver must still refuse (RFC 5798 §7.1). */
    private void injectInvalid(Node from, Node to, Advert advert, IpAddress destination, Conditions k) {
        RouterConfig c = from.router.config();
        RouterConfig rc = to.router.config();
        int tempting = 254; // if it were accepted it would win elections: a strong test
        Advert a = advert.withPriority(tempting);
        int ttl = 255;
        IpAddress source = c.primaryAddress();
        switch (random.nextInt(rc.version() == VrrpVersion.V2 ? 7 : 4)) {
            case 0 -> ttl = 1 + random.nextInt(254); // multicast with TTL != 255 (§5.1.1.3)
            case 1 -> source = rc.primaryAddress(); // looks like our own advert
            case 2 -> a = new Advert(a.version(), a.family(), a.vrid(), tempting, a.intervalCentis(),
                    List.of(), a.authType(), a.authData()); // address list differs
            case 3 -> a = new Advert(a.version(), a.family(), (rc.vrid() + 100) % 255 + 1, tempting, a.intervalCentis(),
                    a.addresses(), a.authType(), a.authData()); // another VRID
            case 4 -> a = new Advert(a.version(), a.family(), a.vrid(), tempting, a.intervalCentis() + 100,
                    a.addresses(), a.authType(), a.authData()); // v2 interval mismatch
            case 5 -> a = new Advert(a.version(), a.family(), a.vrid(), tempting, a.intervalCentis(),
                    a.addresses(), 1, 0x6261640000000000L); // wrong PASS / auth type
            default -> a = new Advert(VrrpVersion.V3, a.family(), a.vrid(), tempting, a.intervalCentis(),
                    a.addresses(), 0, 0); // version mismatch
        }
        if (!destination.isMulticast() && ttl != 255) {
            ttl = 255; // unicast routers do not check the TTL; keep the packet invalid another way
            source = rc.primaryAddress();
        }
        byte[] bytes = c.family() == IpFamily.IPV4
                ? AdvertCodec.encodeIpv4Packet(a, source, destination, ttl, 0, c.v3Ipv4Checksum())
                : AdvertCodec.encode(a, source, destination, c.v3Ipv4Checksum());
        injectedInvalid++;
        IpAddress src = source;
        int hop = ttl;
        schedule(now + delay(k), () -> receive(to, bytes, src, destination, hop, true));
    }

    private Event deliver(Node from, Node to, byte[] bytes, IpAddress destination, int ttl, boolean injected) {
        IpAddress source = from.router.config().primaryAddress();
        return () -> receive(to, bytes, source, destination, ttl, injected);
    }

    private void receive(Node to, byte[] bytes, IpAddress source, IpAddress destination, int ttl, boolean injected) {
        if (!to.alive) {
            return;
        }
        packetsDelivered++;
        RouterView before = injected ? to.router.view() : null;
        long dropsBefore = to.router.drops().total();
        boolean listening = to.router.state() == RouterState.BACKUP || to.router.state() == RouterState.MASTER;
        AdvertDemux.Delivery delivery = to.router.config().family() == IpFamily.IPV4
                ? to.demux.receiveIpv4(bytes, 0, bytes.length, now)
                : to.demux.receiveIpv6(bytes, 0, bytes.length, source, destination, ttl, now);
        List<RouterAction> actions = delivery instanceof AdvertDemux.Delivery.Routed routed ? routed.actions() : List.of();
        if (injected) {
            boolean routed = delivery instanceof AdvertDemux.Delivery.Routed;
            if (routed && listening) {
                injectedReachingListeningRouter++;
            }
            if (!before.equals(to.router.view()) || !actions.isEmpty()
                    || (routed && to.router.drops().total() != dropsBefore + 1)) {
                violations.add("at " + now + " ns node " + to.index + " acted on an injected invalid packet: "
                        + before + " -> " + to.router.view() + " actions " + actions);
            }
        }
        execute(to, actions);
    }

    private long delay(Conditions k) {
        return k.maxDelay() <= k.minDelay() ? k.minDelay()
                : k.minDelay() + (long) (random.nextDouble() * (k.maxDelay() - k.minDelay()));
    }

    private void schedule(long at, Event e) {
        queue.add(new Scheduled(at, seq++, e));
    }
}
