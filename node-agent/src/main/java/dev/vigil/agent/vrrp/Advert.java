package dev.vigil.agent.vrrp;

import java.util.List;

/**
 * One VRRP ADVERTISEMENT, all wire fields (RFC 3768 §5.3, RFC 5798 §5.2), without the checksum,
 * which depends on the IP addresses it travels between and is computed by {@link AdvertCodec}.
 *
 * @param intervalCentis advert interval in centiseconds; v2 carries whole seconds, so a multiple of 100
 * @param authType       v2 "Auth Type" (0 none, 1 PASS); always 0 in v3
 * @param authData       v2 8 authentication bytes, big-endian (the PASS text, zero padded); 0 in v3
 */
public record Advert(VrrpVersion version, IpFamily family, int vrid, int priority, int intervalCentis,
                     List<IpAddress> addresses, int authType, long authData) {

    public static final int MAX_ADDRESSES = 255;
    public static final int MAX_V3_INTERVAL_CENTIS = 4095;

    public Advert {
        addresses = List.copyOf(addresses);
        String problem = problem(version, family, vrid, priority, intervalCentis, addresses, authType, authData);
        if (problem != null) {
            throw new IllegalArgumentException("invalid VRRP advert: " + problem);
        }
    }

    /** A v3 advert (no authentication). */
    public static Advert v3(IpFamily family, int vrid, int priority, int intervalCentis, List<IpAddress> addresses) {
        return new Advert(VrrpVersion.V3, family, vrid, priority, intervalCentis, addresses, 0, 0);
    }

    /** A v2 advert over IPv4. */
    public static Advert v2(int vrid, int priority, int intervalSeconds, List<IpAddress> addresses, Authentication auth) {
        return new Advert(VrrpVersion.V2, IpFamily.IPV4, vrid, priority, intervalSeconds * 100, addresses,
                auth.type().wire(), auth.data());
    }

    /** The same advert with another priority: a priority-0 resignation or a changed effective priority. */
    public Advert withPriority(int newPriority) {
        return newPriority == priority ? this
                : new Advert(version, family, vrid, newPriority, intervalCentis, addresses, authType, authData);
    }

    /** Length of the VRRP message on the wire. */
    public int wireLength() {
        return 8 + addresses.size() * family.addressLength() + (version == VrrpVersion.V2 ? 8 : 0);
    }

    /** Why these fields cannot form an advert, or null when they can. */
    static String problem(VrrpVersion version, IpFamily family, int vrid, int priority, int intervalCentis,
                          List<IpAddress> addresses, int authType, long authData) {
        if (version == null || family == null) {
            return "version and family are required";
        }
        if (vrid < 1 || vrid > 255) {
            return "VRID " + vrid + " outside 1..255";
        }
        if (priority < 0 || priority > 255) {
            return "priority " + priority + " outside 0..255";
        }
        if (addresses.size() > MAX_ADDRESSES) {
            return addresses.size() + " addresses, at most " + MAX_ADDRESSES;
        }
        for (IpAddress a : addresses) {
            if (a.family() != family) {
                return "address " + a + " is not " + family;
            }
        }
        if (version == VrrpVersion.V2) {
            if (family != IpFamily.IPV4) {
                return "VRRPv2 is IPv4 only";
            }
            if (intervalCentis % 100 != 0 || intervalCentis < 100 || intervalCentis > 255 * 100) {
                return "v2 advert interval " + intervalCentis + " cs is not 1..255 whole seconds";
            }
            if (authType != 0 && authType != 1) {
                return "v2 auth type " + authType + " is not none (0) or PASS (1)";
            }
        } else {
            if (intervalCentis < 1 || intervalCentis > MAX_V3_INTERVAL_CENTIS) {
                return "v3 advert interval " + intervalCentis + " cs outside 1..4095";
            }
            if (authType != 0 || authData != 0) {
                return "VRRPv3 has no authentication";
            }
        }
        return null;
    }
}
