package dev.vigil.agent.config;

import java.util.Optional;

/**
 * Notify commands of an instance or a sync group. {@code notify} gets four arguments appended
 * ({@code INSTANCE|GROUP name state priority}); the others run with only what is written.
 */
public record NotifyScripts(Optional<ScriptCommand> master, Optional<ScriptCommand> backup,
                            Optional<ScriptCommand> fault, Optional<ScriptCommand> stop,
                            Optional<ScriptCommand> deleted, Optional<ScriptCommand> any,
                            Optional<ScriptCommand> masterRxLowerPriority) {

    public static final NotifyScripts NONE = new NotifyScripts(Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
}
