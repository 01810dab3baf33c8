package dev.vigil.agent.config;

/** Scope of a virtual address as {@code ip addr} names it, with the kernel's rtnetlink number. */
public enum AddressScope {
    GLOBAL(0), SITE(200), LINK(253), HOST(254), NOWHERE(255);

    private final int rtScope;

    AddressScope(int rtScope) {
        this.rtScope = rtScope;
    }

    /** The {@code ifa_scope} value for rtnetlink. */
    public int rtScope() {
        return rtScope;
    }
}
