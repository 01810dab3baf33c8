package dev.vigil.agent.vrrp;

/**
 * An advert that passed the decoder's checks, with what the IP layer said about it: the source
 * (the sender's primary address), the destination (multicast group or our unicast address), the
 * TTL (IPv4) or hop limit (IPv6, from the IPV6_HOPLIMIT control message), and which checksum form it
 * satisfied, so that each router can insist on its own v3/IPv4 form when one socket serves several.
 */
public record ReceivedAdvert(Advert advert, IpAddress source, IpAddress destination, int ttl,
                             ChecksumForm checksumForm) {

    /** As a conforming sender of this version would checksum it (the default form for v3). */
    public ReceivedAdvert(Advert advert, IpAddress source, IpAddress destination, int ttl) {
        this(advert, source, destination, ttl,
                advert.version() == VrrpVersion.V3 ? ChecksumForm.PSEUDO_HEADER : ChecksumForm.NO_PSEUDO_HEADER);
    }
}
