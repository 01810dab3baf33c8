package dev.vigil.agent.vrrp;

import java.nio.charset.StandardCharsets;

/**
 * VRRPv2 authentication as keepalived speaks it: none, or PASS with up to 8 bytes of cleartext
 * (zero padded). IPsec AH (type 2) is refused, as RFC 5798 removed it and no Linux peer needs it.
 *
 * @param data the 8 authentication bytes, big-endian
 */
public record Authentication(AuthType type, long data) {

    public static final Authentication NONE = new Authentication(AuthType.NONE, 0);

    public enum AuthType {
        NONE(0),
        PASS(1);

        private final int wire;

        AuthType(int wire) {
            this.wire = wire;
        }

        public int wire() {
            return wire;
        }
    }

    public Authentication {
        if (type == null) {
            throw new IllegalArgumentException("auth type is required");
        }
        if (type == AuthType.NONE && data != 0) {
            throw new IllegalArgumentException("auth type none carries no password");
        }
    }

    /** keepalived's {@code auth_pass}: the first 8 bytes of the text, zero padded. */
    public static Authentication pass(String password) {
        byte[] b = password.getBytes(StandardCharsets.UTF_8);
        if (b.length == 0) {
            throw new IllegalArgumentException("auth_pass is empty");
        }
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | (i < b.length ? b[i] & 0xFF : 0);
        }
        return new Authentication(AuthType.PASS, v);
    }

    /** Parses keepalived's {@code auth_type}: "PASS" or "AH" (refused with the reason). */
    public static Authentication parse(String authType, String password) {
        return switch (authType.toUpperCase(java.util.Locale.ROOT)) {
            case "PASS" -> pass(password);
            case "AH" -> throw new IllegalArgumentException(
                    "auth_type AH (IPsec Authentication Header) is not supported; use PASS or no authentication");
            default -> throw new IllegalArgumentException("unknown auth_type '" + authType + "'; expected PASS");
        };
    }

    @Override
    public String toString() {
        return type == AuthType.NONE ? "none" : "PASS(********)"; // never log the password
    }
}
