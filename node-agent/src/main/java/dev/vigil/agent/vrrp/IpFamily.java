package dev.vigil.agent.vrrp;

/** Address family of a VRRP instance: decides address length, checksum form and multicast group. */
public enum IpFamily {
    IPV4(4),
    IPV6(16);

    private final int addressLength;

    IpFamily(int addressLength) {
        this.addressLength = addressLength;
    }

    public int addressLength() {
        return addressLength;
    }
}
