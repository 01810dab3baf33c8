package dev.vigil.agent.daemon;

import dev.vigil.agent.vrrp.Advert;
import dev.vigil.agent.vrrp.AdvertCodec;
import dev.vigil.agent.vrrp.AdvertDemux;
import dev.vigil.agent.vrrp.IpAddress;
import dev.vigil.agent.vrrp.IpFamily;
import dev.vigil.agent.vrrp.RouterAction;
import dev.vigil.agent.vrrp.RouterConfig;
import dev.vigil.agent.vrrp.RouterInput;
import dev.vigil.agent.vrrp.RouterState;
import dev.vigil.agent.vrrp.TimerKind;
import dev.vigil.agent.vrrp.VrrpRouter;

import java.time.Duration;
import java.util.List;

/**
 * Runs the pure core through takeovers on a virtual clock before the real routers start, so that the JIT has
 * compiled the takeover path when it is first needed. A backup's takeover code (master-down expiry, becoming
 * master, encoding its first advert) otherwise runs once per takeover, interpreted: profiled at 100-300 µs
 * between the timer's wake-up and the advert leaving, against keepalived's 20 µs (bench/RESULTS.md). Touches no
 * socket, clock or address: throwaway routers, encoded adverts discarded.
 */
final class TakeoverWarmUp {
    /** Past C1's invocation threshold (200) for every method on the path, with margin. */
    static final int ROUNDS = 400;

    private TakeoverWarmUp() {
    }

    /** Returns how many rounds took over (0 if this config cannot be simulated); never throws. */
    static int run(RouterConfig real, int rounds) {
        try {
            return simulate(real, rounds);
        } catch (RuntimeException e) {
            return 0; // a warm-up must never stop the agent from starting
        }
    }

    private static int simulate(RouterConfig real, int rounds) {
        RouterConfig self;
        IpAddress peer;
        try {
            peer = peerOf(real);
            self = real.toBuilder().priority(100).unicastPeers(real.unicast() ? List.of(peer) : List.of())
                    .trackers(List.of()).preempt(true).preemptDelay(Duration.ZERO)
                    .withoutSyncGroup().build(); // a member alone would only ask its group
        } catch (RuntimeException e) {
            return 0;
        }
        IpAddress group = real.unicast() ? self.primaryAddress() : AdvertCodec.multicastGroup(self.family());
        Advert higher = advert(self, 200);
        Advert resign = advert(self, 0);
        int done = 0;
        long now = 0;
        for (int i = 0; i < rounds; i++) {
            VrrpRouter r = new VrrpRouter(self);
            AdvertDemux demux = new AdvertDemux(self.family());
            demux.add(r);
            now += 1_000_000_000L;
            encode(self, r.handle(new RouterInput.Start(), now));
            // a master is heard, then falls silent: the master-down timer expires (kill -9 takeover)
            for (int k = 0; k < 3; k++) {
                now += intervalNanos(self);
                receive(demux, self, higher, peer, group, now);
            }
            now = fire(r, self, TimerKind.MASTER_DOWN, now);
            now = fire(r, self, TimerKind.ADVERT, now);
            boolean tookOver = r.state() == RouterState.MASTER;
            // the master returns, we step down; it resigns (priority 0), we take over after the skew time
            receive(demux, self, higher, peer, group, now += 1_000_000L);
            receive(demux, self, resign, peer, group, now += 1_000_000L);
            now = fire(r, self, TimerKind.MASTER_DOWN, now);
            encode(self, r.handle(new RouterInput.ShutdownRequested(), now += 1_000_000L));
            if (tookOver) {
                done++;
            }
        }
        return done;
    }

    private static long intervalNanos(RouterConfig c) {
        return c.advertIntervalCentis() * 10_000_000L;
    }

    private static long fire(VrrpRouter r, RouterConfig c, TimerKind kind, long now) {
        long at = r.deadline(kind).orElse(now);
        long t = Math.max(now, at);
        encode(c, r.handle(new RouterInput.TimerFired(kind), t));
        return t;
    }

    private static Advert advert(RouterConfig c, int priority) {
        return c.version() == dev.vigil.agent.vrrp.VrrpVersion.V3
                ? Advert.v3(c.family(), c.vrid(), priority, c.advertIntervalCentis(), c.vips())
                : Advert.v2(c.vrid(), priority, Math.max(1, c.advertIntervalCentis() / 100), c.vips(), c.auth());
    }

    private static void receive(AdvertDemux demux, RouterConfig c, Advert a, IpAddress from, IpAddress to, long now) {
        if (c.family() == IpFamily.IPV4) {
            byte[] p = AdvertCodec.encodeIpv4Packet(a, from, to, 255, 1, c.v3Ipv4Checksum());
            encode(c, routed(demux.receiveIpv4(p, 0, p.length, now)));
        } else {
            byte[] m = AdvertCodec.encode(a, from, to, c.v3Ipv4Checksum());
            encode(c, routed(demux.receiveIpv6(m, 0, m.length, from, to, 255, now)));
        }
    }

    private static List<RouterAction> routed(AdvertDemux.Delivery d) {
        return d instanceof AdvertDemux.Delivery.Routed r ? r.actions() : List.of();
    }

    /** As RouterHost.send does, minus the socket. */
    private static void encode(RouterConfig c, List<RouterAction> actions) {
        for (RouterAction a : actions) {
            if (a instanceof RouterAction.SendAdvert s) {
                for (IpAddress to : c.advertDestinations()) {
                    AdvertCodec.encode(s.advert(), c.primaryAddress(), to, c.v3Ipv4Checksum());
                    to.toInetAddress();
                }
            }
        }
    }

    /** A neighbour's address: ours with the last byte changed (link-local for IPv6, as v3 requires). */
    private static IpAddress peerOf(RouterConfig c) {
        byte[] b = c.primaryAddress().bytes();
        if (c.family() == IpFamily.IPV6) {
            b[0] = (byte) 0xfe;
            b[1] = (byte) 0x80;
        }
        b[b.length - 1] = (byte) (b[b.length - 1] == 1 ? 2 : 1);
        return IpAddress.read(c.family(), b, 0);
    }
}
