package dev.vigil.agent.notify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.agent.config.NotifyScripts;
import dev.vigil.agent.config.ScriptCommand;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class NotifyPlanTest {

    private static Optional<ScriptCommand> cmd(String c) {
        return Optional.of(new ScriptCommand(c, Optional.empty()));
    }

    private final NotifyScripts scripts = new NotifyScripts(cmd("/m.sh up"), cmd("/b.sh"), Optional.empty(),
            cmd("/s.sh"), Optional.empty(), cmd("/n.sh x"), Optional.empty());

    @Test
    void theStatesScriptRunsFirstThenTheGenericOneWithFourArguments() {
        List<NotifyPlan.Run> runs = NotifyPlan.runs(scripts,
                new NotifyEvent(NotifyScope.INSTANCE, "VI_1", NotifyState.MASTER, 150));
        assertThat(runs).containsExactly(
                new NotifyPlan.Run("notify_master", scripts.master().get(), List.of()),
                new NotifyPlan.Run("notify", scripts.any().get(), List.of("INSTANCE", "VI_1", "MASTER", "150")));
    }

    @Test
    void aStateWithoutItsScriptRunsOnlyTheGenericOne() {
        assertThat(NotifyPlan.runs(scripts, new NotifyEvent(NotifyScope.INSTANCE, "VI_1", NotifyState.FAULT, 100)))
                .extracting(NotifyPlan.Run::keyword).containsExactly("notify");
        assertThat(NotifyPlan.runs(NotifyScripts.NONE, new NotifyEvent(NotifyScope.GROUP, "G", NotifyState.STOP, 0)))
                .isEmpty();
    }

    @Test
    void aGroupsPriorityIsZeroAndTheFifoLineIsKeepalivedsFormat() {
        NotifyEvent group = new NotifyEvent(NotifyScope.GROUP, "G1", NotifyState.BACKUP, 120);
        assertThat(group.notifyArguments()).containsExactly("GROUP", "G1", "BACKUP", "0");
        assertThat(new NotifyEvent(NotifyScope.INSTANCE, "VI_1", NotifyState.MASTER, 100).fifoLine())
                .isEqualTo("INSTANCE \"VI_1\" MASTER 100\n");
    }
}
