package dev.vigil.agent.config;

/**
 * keepalived's {@code state}: the state wanted at start. MASTER only means "become master at once"
 * for the address owner (priority 255); otherwise the instance starts as BACKUP and waits for the
 * master-down timer, exactly as keepalived does.
 */
public enum InitialState { MASTER, BACKUP }
