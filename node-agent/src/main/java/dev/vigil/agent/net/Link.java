package dev.vigil.agent.net;

import java.util.Locale;

/**
 * An interface as rtnetlink reports it (RTM_NEWLINK): index, name, link-layer address, IFF_* flags and RFC 2863
 * operational state.
 */
public record Link(int index, String name, MacAddress macAddress, int flags, OperState operState) {
    /** RFC 2863 operational states as the kernel numbers them (IF_OPER_*, linux/if.h). */
    public enum OperState {
        UNKNOWN, NOTPRESENT, DOWN, LOWERLAYERDOWN, TESTING, DORMANT, UP;

        static OperState of(int value) {
            return value >= 0 && value < values().length ? values()[value] : UNKNOWN;
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Administratively up and with carrier: keepalived's IF_ISUP (IFF_UP and IFF_RUNNING). */
    public boolean isUsable() {
        return (flags & LinuxAbi.IFF_UP) != 0 && (flags & LinuxAbi.IFF_RUNNING) != 0;
    }

    /** ARP is off on the interface (IFF_NOARP): keepalived sends no gratuitous ARP there. */
    public boolean noArp() {
        return (flags & LinuxAbi.IFF_NOARP) != 0;
    }

    @Override
    public String toString() {
        return name + "(" + index + ") " + macAddress + (isUsable() ? " usable" : " not usable") + " oper " + operState;
    }
}
