package dev.vigil.agent.notify;

/** What changed state: a VRRP instance or a sync group (keepalived's first notify argument). */
public enum NotifyScope {
    INSTANCE,
    GROUP
}
