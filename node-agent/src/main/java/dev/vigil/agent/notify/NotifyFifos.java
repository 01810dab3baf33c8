package dev.vigil.agent.notify;

import dev.vigil.agent.check.ScriptLauncher;
import dev.vigil.agent.config.GlobalDefs;
import dev.vigil.agent.config.NotifyFifo;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's notify FIFOs from {@code global_defs}: {@code notify_fifo} and {@code vrrp_notify_fifo} (one writer when
 * both name the same path), each with its optional {@code *_fifo_script}, started once with the FIFO's path as its
 * last argument (as keepalived) and ended with the launcher (SIGTERM to its process group). Opening is blocking work
 * (mkfifo, getent): do it at startup.
 */
public final class NotifyFifos {

    private static final Logger LOG = LoggerFactory.getLogger(NotifyFifos.class);
    /** A FIFO reader runs for the agent's life; the launcher kills it at close. */
    private static final Duration READER_LIFETIME = Duration.ofDays(365 * 100);

    private NotifyFifos() {}

    /**
     * Opens every configured FIFO and starts its script. A FIFO that cannot be opened is reported and skipped (the
     * scripts still run), so the returned list may be shorter than the configuration.
     */
    public static List<NotifyFifoWriter> open(GlobalDefs globals, ScriptLauncher launcher) {
        Map<Path, NotifyFifo> byPath = new LinkedHashMap<>();
        for (Optional<NotifyFifo> fifo : List.of(globals.notifyFifo(), globals.vrrpNotifyFifo())) {
            fifo.ifPresent(f -> byPath.merge(Path.of(f.path()), f,
                    (a, b) -> a.script().isPresent() ? a : b));
        }
        List<NotifyFifoWriter> writers = new ArrayList<>();
        byPath.forEach((path, fifo) -> {
            try {
                writers.add(NotifyFifoWriter.open(path));
            } catch (IOException e) {
                LOG.error("{}", e.getMessage());
                return;
            }
            fifo.script().ifPresent(script -> {
                ScriptLauncher.Prepared prepared = launcher.prepare(script.command(), script.user());
                if (prepared instanceof ScriptLauncher.Ready ready) {
                    launcher.run(ready, List.of(path.toString()), READER_LIFETIME).thenAccept(outcome ->
                            LOG.warn("notify FIFO script {} ended: {}", script.command(), outcome.detail()));
                } else if (prepared instanceof ScriptLauncher.Refused refused) {
                    LOG.error("notify FIFO script {} not started: {}", script.command(), refused.reason());
                }
            });
        });
        return List.copyOf(writers);
    }
}
