package dev.vigil.agent.vrrp;

/** VRRPv2 (RFC 3768, IPv4 only, seconds, optional PASS auth) or VRRPv3 (RFC 5798, centiseconds, no auth). */
public enum VrrpVersion {
    V2(2),
    V3(3);

    private final int wire;

    VrrpVersion(int wire) {
        this.wire = wire;
    }

    /** The value of the 4-bit version field. */
    public int wire() {
        return wire;
    }
}
