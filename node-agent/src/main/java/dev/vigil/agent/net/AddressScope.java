package dev.vigil.agent.net;

import java.util.Locale;

/** An address scope as {@code ip addr ... scope} and keepalived's {@code scope} option name it (rtnetlink.h). */
public enum AddressScope {
    GLOBAL(LinuxAbi.RT_SCOPE_UNIVERSE),
    SITE(LinuxAbi.RT_SCOPE_SITE),
    LINK(LinuxAbi.RT_SCOPE_LINK),
    HOST(LinuxAbi.RT_SCOPE_HOST),
    NOWHERE(LinuxAbi.RT_SCOPE_NOWHERE);

    final int value;

    AddressScope(int value) {
        this.value = value;
    }

    /** {@code global|site|link|host|nowhere}, as in keepalived.conf. */
    public static AddressScope parse(String name) {
        for (AddressScope s : values()) {
            if (s.name().equalsIgnoreCase(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown scope '" + name + "' (expected global, site, link, host or nowhere)");
    }

    static AddressScope of(int value) {
        for (AddressScope s : values()) {
            if (s.value == value) {
                return s;
            }
        }
        return GLOBAL; // numeric scopes outside rt_scope_t's names are kernel-internal; treat as global
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
