package dev.vigil.model;

/** The address family of a virtual router: VRRP keeps IPv4 and IPv6 routers with one VRID apart. */
public enum AddressFamily {
    IPV4, IPV6
}
