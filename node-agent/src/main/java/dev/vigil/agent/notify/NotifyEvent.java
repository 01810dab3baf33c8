package dev.vigil.agent.notify;

import java.util.List;
import java.util.Objects;

/** One transition to notify: {@code INSTANCE VI_1 MASTER 150}. A group's priority is 0, as in keepalived. */
public record NotifyEvent(NotifyScope scope, String name, NotifyState state, int priority) {

    public NotifyEvent {
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(state, "state");
        if (scope == NotifyScope.GROUP) {
            priority = 0;
        }
    }

    /** The four arguments appended to the generic {@code notify} script. */
    public List<String> notifyArguments() {
        return List.of(scope.name(), name, state.name(), Integer.toString(priority));
    }

    /** keepalived's FIFO line: {@code INSTANCE "VI_1" MASTER 100\n}. */
    public String fifoLine() {
        return scope.name() + " \"" + name + "\" " + state.name() + " " + priority + "\n";
    }

    /** How facts name the scope: "INSTANCE VI_1". */
    public String scopeText() {
        return scope.name() + " " + name;
    }
}
