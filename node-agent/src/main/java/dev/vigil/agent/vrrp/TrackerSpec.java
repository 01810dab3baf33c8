package dev.vigil.agent.vrrp;

/**
 * A tracked script, interface or file as the router sees it: a name and keepalived's weight
 * (-253..253). Weight 0: failure puts the router in FAULT. Weight &gt; 0: +W while OK. Weight &lt; 0:
 * -|W| while failed.
 */
public record TrackerSpec(String name, int weight) {
    public TrackerSpec {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("tracker name is required");
        }
        if (weight < -253 || weight > 253) {
            throw new IllegalArgumentException("tracker " + name + ": weight " + weight + " outside -253..253");
        }
    }
}
