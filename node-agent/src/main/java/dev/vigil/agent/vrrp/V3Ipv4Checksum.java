package dev.vigil.agent.vrrp;

/**
 * How a VRRPv3 advert over IPv4 is checksummed (see research/keepalived.md §2.7). keepalived 2.2.7 and
 * FRR 8.4 include the IPv4 pseudo-header; RFC 9568, Cisco and Juniper do not (keepalived 2.2.8+:
 * {@code v3_checksum_as_v2}). IPv6 always uses its pseudo-header, v2 never uses one.
 */
public enum V3Ipv4Checksum {
    /** Send and accept only with the IPv4 pseudo-header: keepalived 2.2.7 and FRR 8.4 (the default). */
    WITH_PSEUDO_HEADER(true, true, false),
    /** Send and accept only without it, over the VRRP message alone ({@code v3_checksum_as_v2}, RFC 9568). */
    AS_V2(false, false, true),
    /** Send with the pseudo-header but accept either form: for a segment that mixes both kinds of peers. */
    WITH_PSEUDO_HEADER_ACCEPT_EITHER(true, true, true);

    private final boolean sendsPseudoHeader;
    private final boolean acceptsPseudoHeader;
    private final boolean acceptsAsV2;

    V3Ipv4Checksum(boolean sendsPseudoHeader, boolean acceptsPseudoHeader, boolean acceptsAsV2) {
        this.sendsPseudoHeader = sendsPseudoHeader;
        this.acceptsPseudoHeader = acceptsPseudoHeader;
        this.acceptsAsV2 = acceptsAsV2;
    }

    public boolean sendsPseudoHeader() {
        return sendsPseudoHeader;
    }

    public boolean accepts(ChecksumForm form) {
        return switch (form) {
            case PSEUDO_HEADER -> acceptsPseudoHeader;
            case NO_PSEUDO_HEADER -> acceptsAsV2;
            case BOTH -> true;
        };
    }

    public boolean accepts(boolean withPseudoHeader) {
        return withPseudoHeader ? acceptsPseudoHeader : acceptsAsV2;
    }
}
