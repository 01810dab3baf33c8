package dev.vigil.agent.vrrp;

/**
 * An advert that passed the decoder's checks, with what the IP layer said about it: the source
 * (the sender's primary address), the destination (multicast group or our unicast address) and the
 * TTL (IPv4) or hop limit (IPv6, from the IPV6_HOPLIMIT control message).
 */
public record ReceivedAdvert(Advert advert, IpAddress source, IpAddress destination, int ttl) {
}
