package dev.vigil.agent.config;

import java.net.InetAddress;
import java.util.Objects;

/** An IP address and TCP port: where a virtual server listens, or a real or sorry server is reached. */
public record ServiceAddress(InetAddress ip, int port) {
    public ServiceAddress {
        Objects.requireNonNull(ip, "ip");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " outside 1..65535");
        }
    }

    /** {@code 192.0.2.10:5432}, {@code [2001:db8::10]:5432}. */
    public String describe() {
        String a = IpLiteral.format(ip);
        return (ip instanceof java.net.Inet6Address ? "[" + a + "]" : a) + ":" + port;
    }

    @Override
    public String toString() {
        return describe();
    }
}
