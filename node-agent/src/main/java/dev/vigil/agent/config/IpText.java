package dev.vigil.agent.config;

import java.net.InetAddress;

/** Compact text of an IP address (no host name lookup), for other packages. */
public final class IpText {
    private IpText() {
    }

    public static String of(InetAddress a) {
        return IpLiteral.format(a);
    }
}
