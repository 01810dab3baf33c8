package dev.vigil.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.opentest4j.TestAbortedException;

@Timeout(10)
class RequirementsTest {

    @Test
    void unmetRequirementFailsUnderCi() {
        assertThatThrownBy(() -> Requirements.unmet("keepalived missing", true))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("CI=true")
                .hasMessageContaining("keepalived missing");
    }

    @Test
    void unmetRequirementSkipsOutsideCi() {
        assertThatThrownBy(() -> Requirements.unmet("keepalived missing", false))
                .isInstanceOf(TestAbortedException.class)
                .hasMessageContaining("keepalived missing");
    }

    @Test
    void commandsAreFoundOnPathOrByAbsolutePath() {
        assertThat(Requirements.commandExists("sh")).isTrue();
        assertThat(Requirements.commandExists("/bin/sh")).isTrue();
        assertThat(Requirements.commandExists("no-such-command-vigil")).isFalse();
    }
}
