package dev.vigil.model;

/** VRRP router states as keepalived names them (RFC 5798 §6.4 plus keepalived's FAULT and STOP). */
public enum RouterState {
    INIT, BACKUP, MASTER, FAULT, STOP
}
