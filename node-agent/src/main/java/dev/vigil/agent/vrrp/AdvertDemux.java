package dev.vigil.agent.vrrp;

import java.util.List;
import java.util.Optional;

/**
 * One receive socket's side of the core (one interface and family, shared by its VRIDs as keepalived
 * shares it): decode each datagram, count what the decoder refuses, hand the advert to the router of
 * its VRID and return that router's actions. The v3/IPv4 checksum is decoded permissively here and
 * each router then insists on its own configured form.
 */
public final class AdvertDemux {
    private final IpFamily family;
    private final VrrpRouter[] byVrid = new VrrpRouter[256];
    private final DropCounters drops = new DropCounters();

    /** What became of one datagram. */
    public sealed interface Delivery {
        /** Reached its router; the router may still have dropped it (see its own counters), then no actions. */
        record Routed(VrrpRouter router, List<RouterAction> actions) implements Delivery {
        }

        /** Refused before any router saw it. */
        record Refused(DropReason reason, String detail) implements Delivery {
        }
    }

    public AdvertDemux(IpFamily family) {
        this.family = family;
    }

    public void add(VrrpRouter router) {
        RouterConfig c = router.config();
        if (c.family() != family) {
            throw new IllegalArgumentException("vrrp_instance " + c.name() + " is " + c.family()
                    + " but this socket receives " + family);
        }
        VrrpRouter other = byVrid[c.vrid()];
        if (other != null) {
            throw new IllegalArgumentException("vrrp_instance " + c.name() + ": virtual_router_id " + c.vrid()
                    + " is already used by " + other.config().name() + " on this interface");
        }
        byVrid[c.vrid()] = router;
    }

    /** A reload stopped {@code router}: its VRID's adverts are unknown again until another router takes it. */
    public void remove(VrrpRouter router) {
        int vrid = router.config().vrid();
        if (byVrid[vrid] == router) {
            byVrid[vrid] = null;
        }
    }

    /** Whether no router is left on this socket. */
    public boolean isEmpty() {
        for (VrrpRouter r : byVrid) {
            if (r != null) {
                return false;
            }
        }
        return true;
    }

    public Optional<VrrpRouter> router(int vrid) {
        return vrid < 0 || vrid > 255 ? Optional.empty() : Optional.ofNullable(byVrid[vrid]);
    }

    /** Drops counted before a router was found (decoder refusals and unknown VRIDs). */
    public DropCounters drops() {
        return drops;
    }

    /** An IPv4 raw socket's datagram (IP header included), received at monotonic {@code now}. */
    public Delivery receiveIpv4(byte[] b, int off, int len, long now) {
        return route(AdvertCodec.decodeIpv4Packet(b, off, len, V3Ipv4Checksum.WITH_PSEUDO_HEADER_ACCEPT_EITHER), now);
    }

    /** An IPv6 raw socket's payload with recvmsg's source, destination and IPV6_HOPLIMIT. */
    public Delivery receiveIpv6(byte[] b, int off, int len, IpAddress source, IpAddress destination, int hopLimit,
                                long now) {
        return route(AdvertCodec.decodeVrrp(IpFamily.IPV6, b, off, len, source, destination, hopLimit,
                V3Ipv4Checksum.WITH_PSEUDO_HEADER_ACCEPT_EITHER), now);
    }

    private Delivery route(Decoded d, long now) {
        if (d instanceof Decoded.Dropped x) {
            drops.count(x.reason());
            return new Delivery.Refused(x.reason(), x.detail());
        }
        ReceivedAdvert p = ((Decoded.Accepted) d).packet();
        VrrpRouter r = byVrid[p.advert().vrid()];
        if (r == null) {
            drops.count(DropReason.UNKNOWN_VRID);
            return new Delivery.Refused(DropReason.UNKNOWN_VRID, "no vrrp_instance with virtual_router_id "
                    + p.advert().vrid() + " (advert from " + p.source() + ")");
        }
        return new Delivery.Routed(r, r.handle(new RouterInput.AdvertReceived(p), now));
    }
}
