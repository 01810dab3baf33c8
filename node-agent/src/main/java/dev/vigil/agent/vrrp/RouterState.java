package dev.vigil.agent.vrrp;

/** RFC 5798 §6.4 states plus keepalived's FAULT (interface down or a weight-0 tracker failing). */
public enum RouterState {
    INITIALIZE,
    BACKUP,
    MASTER,
    FAULT
}
