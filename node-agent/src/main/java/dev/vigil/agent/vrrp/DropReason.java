package dev.vigil.agent.vrrp;

/**
 * Why a received packet was discarded. Each is counted; none throws. The first group is found by the
 * decoder alone (RFC 5798 §7.1 checks that need no configuration), the second by the router that owns
 * the VRID (checks against its configuration and state).
 */
public enum DropReason {
    // decoder
    TRUNCATED("shorter than the headers it declares"),
    IP_HEADER_INVALID("IP header malformed or its checksum wrong"),
    NOT_VRRP("IP protocol is not 112"),
    LENGTH_MISMATCH("length does not match the address count"),
    BAD_VERSION("VRRP version is not 2 or 3, or v2 over IPv6"),
    BAD_TYPE("VRRP type is not ADVERTISEMENT (1)"),
    BAD_VRID("VRID 0"),
    BAD_CHECKSUM("VRRP checksum wrong"),
    BAD_ADVERT_INTERVAL("advert interval 0"),
    UNSUPPORTED_AUTH("v2 authentication type other than none or PASS"),
    // router
    UNKNOWN_VRID("no router configured for this VRID"),
    NOT_LISTENING("router is in INITIALIZE or FAULT"),
    TTL_NOT_255("TTL / hop limit is not 255 (multicast)"),
    VERSION_MISMATCH("VRRP version differs from the configured one"),
    CHECKSUM_FORM_MISMATCH("v3/IPv4 checksum valid only in the form this router does not accept (v3_checksum_as_v2)"),
    FAMILY_MISMATCH("address family differs from the configured one"),
    AUTH_TYPE_MISMATCH("v2 auth type differs from the configured one"),
    AUTH_FAILURE("v2 PASS password differs"),
    INTERVAL_MISMATCH("v2 advert interval differs from ours"),
    DESTINATION_MISMATCH("multicast advert for a unicast router or the reverse"),
    UNKNOWN_PEER("unicast source is not a configured peer"),
    OWN_ADVERT("our own advert looped back"),
    OWNER_IGNORES("we are the address owner and owner_ignore_adverts is set (RFC 5798 §7.1)"),
    ADDRESS_LIST_MISMATCH("virtual address list differs from ours (keepalived 2.2.7 discards)");

    private final String meaning;

    DropReason(String meaning) {
        this.meaning = meaning;
    }

    public String meaning() {
        return meaning;
    }
}
