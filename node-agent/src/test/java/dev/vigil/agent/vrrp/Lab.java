package dev.vigil.agent.vrrp;

import java.util.List;

/** Addresses and configs for tests: documentation ranges only (RFC 5737, RFC 3849), never sent anywhere. */
final class Lab {
    static final long MS = 1_000_000L;
    static final long S = 1_000_000_000L;

    private Lab() {
    }

    static IpAddress ip(String s) {
        return IpAddress.parse(s);
    }

    /** The primary address of router {@code i}: 192.0.2.(10+i) or fe80::(10+i) in hex. */
    static IpAddress primary(IpFamily family, int i) {
        return family == IpFamily.IPV4 ? ip("192.0.2." + (10 + i)) : ip("fe80::" + Integer.toHexString(10 + i));
    }

    static List<IpAddress> vips(IpFamily family, int vrid) {
        return family == IpFamily.IPV4
                ? List.of(ip("192.0.2." + (100 + vrid % 100)), ip("198.51.100." + vrid))
                : List.of(ip("2001:db8::" + Integer.toHexString(vrid)));
    }

    static RouterConfig.Builder router(int i, VrrpVersion version, IpFamily family, int vrid, int priority) {
        return RouterConfig.builder("VI_" + vrid + "_" + i, vrid, primary(family, i))
                .version(version)
                .priority(priority)
                .vips(vips(family, vrid));
    }
}
