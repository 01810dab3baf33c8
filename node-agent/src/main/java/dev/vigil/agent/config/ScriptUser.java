package dev.vigil.agent.config;

import java.util.Optional;

/** keepalived's {@code user[:group]} (also written {@code user group}) that a script runs as. */
public record ScriptUser(String user, Optional<String> group) {}
