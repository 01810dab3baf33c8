package dev.vigil.agent.notify;

/** The states keepalived notifies, spelled as its scripts and FIFO receive them. */
public enum NotifyState {
    MASTER,
    BACKUP,
    FAULT,
    STOP,
    DELETED
}
