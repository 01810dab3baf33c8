package dev.vigil.agent.vrrp;

/** Which checksum computation a received advert satisfied (only v3 over IPv4 has a choice). */
public enum ChecksumForm {
    /** Over the pseudo-header and the VRRP message: v3 over IPv6, and v3/IPv4 as keepalived 2.2.7 and FRR send. */
    PSEUDO_HEADER,
    /** Over the VRRP message alone: v2, and v3/IPv4 as RFC 9568 and {@code v3_checksum_as_v2} send. */
    NO_PSEUDO_HEADER,
    /** Both computations agree (the pseudo-header happens to sum to zero): acceptable to either kind of peer. */
    BOTH
}
