package dev.vigil.agent.net;

/** What adding or removing a VIP did. The two "ALREADY" outcomes are not errors: the state asked for holds. */
public enum AddressChange {
    ADDED,
    /** The kernel answered EEXIST: the address was already on the interface. */
    ALREADY_PRESENT,
    REMOVED,
    /** The kernel answered EADDRNOTAVAIL (or the device is gone): the address was not there. */
    ALREADY_ABSENT
}
