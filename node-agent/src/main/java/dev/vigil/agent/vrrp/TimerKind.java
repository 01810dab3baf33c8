package dev.vigil.agent.vrrp;

/** The router's timers; arming one kind replaces its previous deadline. */
public enum TimerKind {
    /** BACKUP: Master_Down_Timer (RFC 5798 §6.2). */
    MASTER_DOWN,
    /** MASTER: Adver_Timer (RFC 5798 §6.2). */
    ADVERT,
    /** MASTER: the second gratuitous ARP / NA burst, {@code garp_master_delay} after taking over. */
    GARP_REPEAT
}
