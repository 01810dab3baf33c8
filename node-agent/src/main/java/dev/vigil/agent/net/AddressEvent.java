package dev.vigil.agent.net;

/**
 * An address change the kernel announced (RTMGRP_IPV4_IFADDR / RTMGRP_IPV6_IFADDR), as keepalived's netlink
 * monitor sees them: a VIP deleted behind a master's back sends it to BACKUP unless {@code no_track}, and a vanished
 * source address is a FAULT. Vigil's own changes are reported too: the daemon knows which ones it made.
 */
public sealed interface AddressEvent {
    /** System.nanoTime when the kernel's message was read. */
    long observedNanos();

    /** Added, or changed (flags, lifetimes): the kernel sends RTM_NEWADDR for both. */
    record AddressPresent(InterfaceAddress address, long observedNanos) implements AddressEvent {}

    record AddressRemoved(InterfaceAddress address, long observedNanos) implements AddressEvent {}

    /** The kernel dropped notifications (ENOBUFS): re-read the addresses that matter with {@link Rtnetlink#addresses}. */
    record EventsLost(long observedNanos) implements AddressEvent {}
}
