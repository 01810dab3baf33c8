package dev.vigil.agent.config;

import java.util.Optional;

/**
 * A command line as keepalived runs it (a program and its arguments in one string, split on blanks
 * at run time), optionally as another user; without a user, {@code global_defs script_user} applies.
 */
public record ScriptCommand(String command, Optional<ScriptUser> user) {}
