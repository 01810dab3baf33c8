package dev.vigil.agent.notify;

import dev.vigil.agent.config.NotifyScripts;
import dev.vigil.agent.config.ScriptCommand;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which notify commands a transition runs, in keepalived's order ({@code vrrp_notify.c}): first the state's own
 * script ({@code notify_master}, {@code notify_backup}, {@code notify_fault}, {@code notify_stop},
 * {@code notify_deleted}) with only its configured arguments, then the generic {@code notify} with
 * {@code INSTANCE|GROUP name STATE priority} appended. Pure.
 */
public final class NotifyPlan {

    /** One command to run: its keyword ("notify_master"), the configured command, the arguments appended. */
    public record Run(String keyword, ScriptCommand command, List<String> appended) {
        public Run {
            appended = List.copyOf(appended);
        }
    }

    private NotifyPlan() {}

    public static List<Run> runs(NotifyScripts scripts, NotifyEvent event) {
        List<Run> runs = new ArrayList<>(2);
        specific(scripts, event.state()).ifPresent(c ->
                runs.add(new Run("notify_" + event.state().name().toLowerCase(), c, List.of())));
        scripts.any().ifPresent(c -> runs.add(new Run("notify", c, event.notifyArguments())));
        return List.copyOf(runs);
    }

    private static Optional<ScriptCommand> specific(NotifyScripts scripts, NotifyState state) {
        return switch (state) {
            case MASTER -> scripts.master();
            case BACKUP -> scripts.backup();
            case FAULT -> scripts.fault();
            case STOP -> scripts.stop();
            case DELETED -> scripts.deleted();
        };
    }
}
